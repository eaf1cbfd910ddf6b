/**
 * The service as a Federation 2 subgraph, composed for real: the committed
 * subgraph SDL and a tiny `reviews` subgraph of the test's own (it extends
 * `User` by its key) composed by @apollo/composition, served by
 * @apollo/gateway, every service on its own port, over HTTP.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { VisibleUsers } from '../src/modules/users/visible-users';
import { startTestServer, type TestServer } from './helpers/app';
import { signUp, type SignedUp } from './helpers/factories';
import { addMember, createOrganization } from './helpers/organizations';
import { recordingStatements } from './helpers/statements';

/** Its reference to our `User` is nullable: a user the viewer may not see is null there. */
const REVIEWS_SDL = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.14", import: ["@key"])

  type User @key(fields: "id") {
    id: ID!
    reviews: [Review!]!
  }

  type Review {
    id: ID!
    body: String!
    author: User
  }

  type Query {
    latestReviews: [Review!]!
  }
`;

interface Review {
  id: string;
  body: string;
  authorId: string;
}

let accounts: TestServer;
let alice: SignedUp;
let bob: SignedUp;
let carol: SignedUp;
const NOBODY = 'user_0000000000000000000000';
let reviews: Review[] = [];
/** The Authorization header of each request the reviews service received. */
const seenByReviews: (string | undefined)[] = [];
const stops: (() => Promise<void>)[] = [];
let gatewayUrl: string;

async function serve(server: ApolloServer<{ authorization?: string }>): Promise<string> {
  const { url } = await startStandaloneServer(server, {
    listen: { host: '127.0.0.1', port: 0 },
    context: ({ req }) => Promise.resolve({ authorization: req.headers.authorization }),
  });
  stops.push(() => server.stop());
  return url;
}

async function post<T>(
  url: string,
  query: string,
  token?: string,
  variables?: Record<string, unknown>,
): Promise<{
  status: number;
  body: {
    data?: T | null;
    errors?: { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[];
  };
  text: string;
}> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as never, text };
}

beforeAll(async () => {
  accounts = await startTestServer();
  alice = await signUp(accounts, { name: 'Alice Federated' });
  bob = await signUp(accounts, { name: 'Bob Federated' });
  carol = await signUp(accounts, { name: 'Carol Stranger' });
  const organization = await createOrganization(accounts, alice.token, 'Reviewers');
  await addMember(accounts, organization, bob.id, 'member', new Date());
  // Carol has an organization of her own, which alice is not in.
  await createOrganization(accounts, carol.token, 'Elsewhere');
  // Onboarding renamed the owners: back to names of their own.
  for (const [user, name] of [
    [alice, 'Alice Federated'],
    [carol, 'Carol Stranger'],
  ] as const) {
    await accounts.sql(`update users set name = ? where id = ?`, [name, user.id]);
  }
  await accounts.sql(`update users set avatar_url = ? where id = ?`, [
    'https://example.com/bob.png',
    bob.id,
  ]);
  reviews = [
    { id: 'r1', body: 'Alice likes it', authorId: alice.id },
    { id: 'r2', body: 'Bob is unsure', authorId: bob.id },
    { id: 'r3', body: 'Carol writes a lot', authorId: carol.id },
    { id: 'r4', body: 'Nobody wrote this', authorId: NOBODY },
  ];

  const reviewsServer = new ApolloServer<{ authorization?: string }>({
    schema: buildSubgraphSchema([
      {
        typeDefs: parse(REVIEWS_SDL),
        resolvers: {
          Query: {
            latestReviews: (_: unknown, __: unknown, context: { authorization?: string }) => {
              seenByReviews.push(context.authorization);
              return reviews;
            },
          },
          Review: { author: (review: Review) => ({ __typename: 'User', id: review.authorId }) },
          User: {
            __resolveReference: (
              reference: { id: string },
              context: { authorization?: string },
            ) => {
              seenByReviews.push(context.authorization);
              return { id: reference.id };
            },
            reviews: (user: { id: string }) => reviews.filter((r) => r.authorId === user.id),
          },
        } as never,
      },
    ]),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  const reviewsUrl = await serve(reviewsServer);

  const accountsUrl = `${accounts.url}/graphql`;
  const sdl = await post<{ _service: { sdl: string } }>(accountsUrl, '{ _service { sdl } }');
  const composed = composeServices([
    { name: 'accounts', url: accountsUrl, typeDefs: parse(sdl.body.data!._service.sdl) },
    { name: 'reviews', url: reviewsUrl, typeDefs: parse(REVIEWS_SDL) },
  ]);
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
  const gateway = new ApolloGateway({
    supergraphSdl: composed.supergraphSdl,
    buildService: ({ url }) =>
      new RemoteGraphQLDataSource<{ authorization?: string }>({
        url,
        willSendRequest({ request, context }) {
          const authorization: unknown = context.authorization;
          if (typeof authorization === 'string') {
            request.http?.headers.set('authorization', authorization);
          }
        },
      }),
  });
  gatewayUrl = await serve(
    new ApolloServer<{ authorization?: string }>({
      gateway,
      includeStacktraceInErrorResponses: false,
    }),
  );
}, 120_000);

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await accounts.close();
});

describe('through the gateway', () => {
  it("reads the viewer's profile and the reviews subgraph's fields of the same user, the token forwarded", async () => {
    seenByReviews.length = 0;
    const result = await post(
      gatewayUrl,
      '{ viewer { profile { email } user { id name reviews { body } } } }',
      alice.token,
    );
    expect(result.status).toBe(200);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data).toEqual({
      viewer: {
        profile: { email: alice.email },
        user: { id: alice.id, name: 'Alice Federated', reviews: [{ body: 'Alice likes it' }] },
      },
    });
    expect(seenByReviews).toEqual([`Bearer ${alice.token}`]);
  });

  it('resolves an author the viewer may see, public fields only, and nulls a stranger exactly like nobody', async () => {
    const result = await post<{
      latestReviews: {
        body: string;
        author: { id: string; name: string; avatarUrl: string | null } | null;
      }[];
    }>(gatewayUrl, '{ latestReviews { body author { id name avatarUrl } } }', alice.token);
    expect(result.status).toBe(200);
    expect(result.body.data?.latestReviews).toEqual([
      {
        body: 'Alice likes it',
        author: { id: alice.id, name: 'Alice Federated', avatarUrl: null },
      },
      {
        body: 'Bob is unsure',
        author: { id: bob.id, name: 'Bob Federated', avatarUrl: 'https://example.com/bob.png' },
      },
      { body: 'Carol writes a lot', author: null },
      { body: 'Nobody wrote this', author: null },
    ]);
    expect(result.text).not.toContain('Carol Stranger');
    expect(result.text).not.toContain(carol.email);
    // Whatever the gateway says about the two nulls, it says it the same way.
    const about = (index: number) =>
      (result.body.errors ?? [])
        .filter((e) => Array.isArray(e.path) && e.path[1] === index)
        .map((e) => ({ ...e, path: e.path?.slice(2) }));
    expect(about(2)).toEqual(about(3));
  });

  it("an email is no field of User: the gateway refuses to ask for a co-member's", async () => {
    const result = await post(gatewayUrl, '{ latestReviews { author { email } } }', alice.token);
    expect(result.status).toBe(400);
    expect(result.text).not.toContain(bob.email);
  });

  it('anonymous: entity fields fail as unauthenticated, the same for every author', async () => {
    const result = await post<{ latestReviews: { author: unknown }[] }>(
      gatewayUrl,
      '{ latestReviews { author { id name } } }',
    );
    expect(result.body.data?.latestReviews.map((r) => r.author)).toEqual([null, null, null, null]);
    const codes = (result.body.errors ?? []).map((e) => e.extensions?.['code']);
    expect(codes.length).toBeGreaterThan(0);
    expect(new Set(codes)).toEqual(new Set(['UNAUTHENTICATED']));
    expect(result.text).not.toContain('Federated');
  });
});

describe('_entities on the subgraph itself', () => {
  const ENTITIES = /* GraphQL */ `
    query Users($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on User {
          __typename
          id
          name
          avatarUrl
        }
      }
    }
  `;

  it('answers the viewer and a co-member (public fields), null for a stranger, nobody and malformed ids: one statement', async () => {
    const recording = recordingStatements(accounts);
    const real = accounts.app.deps.visibleUsers;
    accounts.app.deps.visibleUsers = new VisibleUsers(recording.statements);
    try {
      const representations = [
        { __typename: 'User', id: alice.id },
        { __typename: 'User', id: bob.id },
        { __typename: 'User', id: carol.id },
        { __typename: 'User', id: NOBODY },
        { __typename: 'User', id: 5 },
        { __typename: 'User' },
        { __typename: 'User', id: "x' or '1'='1" },
      ];
      // Several times: graphql-jit compiles it from the third on (GRAPHQL_COMPILE_ON).
      for (let round = 0; round < 4; round++) {
        recording.calls.length = 0;
        const result = await accounts.graphql<{ _entities: unknown[] }>(
          ENTITIES,
          { representations },
          alice.token,
        );
        expect(result.status).toBe(200);
        expect(result.errors).toBeUndefined();
        expect(result.data?._entities).toEqual([
          { __typename: 'User', id: alice.id, name: 'Alice Federated', avatarUrl: null },
          {
            __typename: 'User',
            id: bob.id,
            name: 'Bob Federated',
            avatarUrl: 'https://example.com/bob.png',
          },
          null,
          null,
          null,
          null,
          null,
        ]);
        expect(recording.calls.map((call) => call.name)).toEqual(['visible_users_v1']);
      }
    } finally {
      accounts.app.deps.visibleUsers = real;
    }
  });

  it('seen from bob, alice is a co-member; seen from carol, both are strangers', async () => {
    const representations = [alice.id, bob.id, carol.id].map((id) => ({ __typename: 'User', id }));
    const fromBob = await accounts.graphql<{ _entities: ({ id: string } | null)[] }>(
      ENTITIES,
      { representations },
      bob.token,
    );
    expect(fromBob.data?._entities.map((u) => u?.id ?? null)).toEqual([alice.id, bob.id, null]);
    const fromCarol = await accounts.graphql<{ _entities: ({ id: string } | null)[] }>(
      ENTITIES,
      { representations },
      carol.token,
    );
    expect(fromCarol.data?._entities.map((u) => u?.id ?? null)).toEqual([null, null, carol.id]);
  });

  it('the email is not a field of User', async () => {
    const result = await accounts.graphql(
      '{ _entities(representations: [{__typename: "User", id: "x"}]) { ... on User { email } } }',
      {},
      alice.token,
    );
    expect(result.status).toBe(400);
    expect(result.errors?.[0]?.extensions['code']).toBe('BAD_USER_INPUT');
  });

  it('anonymous: UNAUTHENTICATED for a stranger and for nobody alike, and nothing else', async () => {
    const stranger = await accounts.graphql(ENTITIES, {
      representations: [{ __typename: 'User', id: carol.id }],
    });
    const nobody = await accounts.graphql(ENTITIES, {
      representations: [{ __typename: 'User', id: NOBODY }],
    });
    expect(stranger.status).toBe(nobody.status);
    expect(stranger.data).toEqual({ _entities: [null] });
    expect(stranger.errors?.map((e) => e.extensions['code'])).toEqual(['UNAUTHENTICATED']);
    expect(stranger.errors).toEqual(nobody.errors);
    expect(stranger.text).not.toContain('Carol');
  });

  it('_service { sdl } answers the committed subgraph.graphql', async () => {
    const result = await accounts.graphql<{ _service: { sdl: string } }>('{ _service { sdl } }');
    const committed = readFileSync(path.join(__dirname, '..', 'subgraph.graphql'), 'utf8');
    expect(`${result.data?._service.sdl ?? ''}\n`).toBe(committed);
  });
});
