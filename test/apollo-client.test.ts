import type * as ApolloClientModule from '@apollo/client';
import { startTestServer, type TestServer } from './helpers/app';
import { signUp } from './helpers/factories';

/**
 * A real caching client: Apollo Client's InMemoryCache normalises objects by
 * `__typename` and `id`. An object without an id under a normalised one
 * (the Viewer) is replaced wholesale by the next query that selects other
 * fields of it, and Apollo Client warns "Cache data may be lost when
 * replacing the planLimits field of a Viewer object". PlanLimits, Onboarding
 * and OnboardingProgress therefore carry an id (the viewer's).
 */

type ApolloModule = typeof ApolloClientModule;
let apollo: ApolloModule;
let server: TestServer;
const warnings: string[] = [];
let warn: jest.SpyInstance;

beforeAll(async () => {
  // Apollo Client checks its own work only in development mode, read from
  // this global when the module loads.
  (globalThis as { __DEV__?: boolean }).__DEV__ = true;
  // (typed as the CommonJS build jest loads)
  apollo = (await import('@apollo/client')) as unknown as ApolloModule;
  const dev = await import('@apollo/client/dev');
  dev.loadDevMessages();
  dev.loadErrorMessages();
  server = await startTestServer();
  warn = jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
    warnings.push(args.map(String).join(' '));
  });
});
afterAll(async () => {
  warn.mockRestore();
  await server.close();
});
beforeEach(() => {
  warnings.length = 0;
});

function client(token: string) {
  return new apollo.ApolloClient({
    link: new apollo.HttpLink({
      uri: `${server.url}/graphql`,
      headers: { authorization: `Bearer ${token}` },
    }),
    cache: new apollo.InMemoryCache(),
  });
}

/** Two screens asking for different fields of the same objects. */
function queries(id: string) {
  return [
    apollo.gql`query ScreenA { viewer { id
      planLimits { ${id} plan brands }
      onboarding { ${id} completed }
      onboardingProgress { ${id} completedCount steps { id completed } } } }`,
    apollo.gql`query ScreenB { viewer { id
      planLimits { ${id} accessTokens activeAccessTokens }
      onboarding { ${id} completedAt }
      onboardingProgress { ${id} totalCount nextStep { id title } } } }`,
  ] as const;
}

const lossWarnings = () => warnings.filter((w) => w.includes('Cache data may be lost'));

describe('Apollo Client (InMemoryCache) keeps planLimits, onboarding and onboardingProgress', () => {
  it('as one object each, merging what two queries selected, without warnings', async () => {
    const user = await signUp(server);
    const apolloClient = client(user.token);
    const [screenA, screenB] = queries('id');
    const a = await apolloClient.query({ query: screenA, fetchPolicy: 'network-only' });
    await apolloClient.query({ query: screenB, fetchPolicy: 'network-only' });

    expect(lossWarnings()).toEqual([]);
    // Both screens are still answered from the cache alone.
    const cachedA = apolloClient.readQuery({ query: screenA });
    const cachedB = apolloClient.readQuery({ query: screenB });
    expect(cachedA).toEqual(a.data);
    expect(cachedB).toMatchObject({
      viewer: {
        id: user.id,
        planLimits: { id: user.id, accessTokens: 2, activeAccessTokens: 1 },
        onboarding: { id: user.id, completedAt: null },
        onboardingProgress: { id: user.id, totalCount: 5 },
      },
    });
    // One normalised object per type, keyed by the viewer's id.
    const cache = apolloClient.cache.extract() as Record<string, unknown>;
    for (const type of ['PlanLimits', 'Onboarding', 'OnboardingProgress']) {
      expect(Object.keys(cache)).toContain(`${type}:${user.id}`);
    }
  });

  it('(the same queries without the ids lose data, which is what the ids prevent)', async () => {
    const user = await signUp(server);
    const apolloClient = client(user.token);
    const [screenA, screenB] = queries('');
    await apolloClient.query({ query: screenA, fetchPolicy: 'network-only' });
    await apolloClient.query({ query: screenB, fetchPolicy: 'network-only' });

    expect(lossWarnings().join('\n')).toMatch(/planLimits/);
    expect(apolloClient.readQuery({ query: screenA })).toBeNull();
  });

  it('merges a completeOnboarding answer into the viewer’s onboarding', async () => {
    const user = await signUp(server);
    const apolloClient = client(user.token);
    const [screenA] = queries('id');
    await apolloClient.query({ query: screenA, fetchPolicy: 'network-only' });
    await apolloClient.mutate({
      mutation: apollo.gql`mutation Done($input: CompleteOnboardingInput!) {
        completeOnboarding(input: $input) { onboarding { id completed } } }`,
      variables: {
        input: {
          fullName: 'Jane Smith',
          jobTitle: 'PM',
          company: 'Acme',
          useCase: 'PRDs',
          teamSize: 'small',
          prdStyle: 'concise',
          interests: ['ai-chat'],
        },
      },
    });
    const cached = apolloClient.readQuery<{ viewer: { onboarding: { completed: boolean } } }>({
      query: screenA,
    });
    expect(cached?.viewer.onboarding.completed).toBe(true);
    expect(lossWarnings()).toEqual([]);
  });
});
