import { ViewerReads } from '../src/modules/viewer/viewer-reads';
import { startTestServer, type TestServer } from './helpers/app';
import { signUp } from './helpers/factories';
import { addMember, createOrganization } from './helpers/organizations';
import { recordingStatements, type StatementCall } from './helpers/statements';

/*
 * The viewer's owned data (tokens, provider keys, onboarding, organizations,
 * progress, plan usage) is read in one statement per viewer object: these
 * tests hold that reading to what the database holds, and to the moment it
 * is read.
 */

const WHOLE_VIEWER = /* GraphQL */ `
  {
    viewer {
      id
      accessTokens {
        id
        name
        createdAt
        lastUsedAt
      }
      apiKeys {
        provider
        name
        maskedKey
        status
      }
      onboarding {
        completed
        completedAt
        preferences {
          company
          interests
        }
      }
      onboardingProgress {
        steps {
          id
          completed
        }
        completedCount
        nextStep {
          id
        }
      }
      planLimits {
        plan
        accessTokens
        activeAccessTokens
      }
      organizations {
        role
        joinedAt
        organization {
          id
          name
          memberCount
        }
      }
    }
  }
`;

interface WholeViewer {
  viewer: {
    id: string;
    accessTokens: { id: string; name: string; createdAt: string; lastUsedAt: string | null }[];
    apiKeys: { provider: string; name: string | null; maskedKey: string; status: string }[];
    onboarding: {
      completed: boolean;
      completedAt: string;
      preferences: { company: string; interests: string[] };
    };
    onboardingProgress: {
      steps: { id: string; completed: boolean }[];
      completedCount: number;
      nextStep: { id: string } | null;
    };
    planLimits: { plan: string; accessTokens: number; activeAccessTokens: number };
    organizations: {
      role: string;
      joinedAt: string;
      organization: { id: string; name: string; memberCount: number };
    }[];
  };
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

async function createToken(email: string, password: string, name: string): Promise<string> {
  const result = await server.graphql<{ createAccessToken: { accessToken: { id: string } } }>(
    `mutation($input: CreateAccessTokenInput!) { createAccessToken(input: $input) { accessToken { id } } }`,
    { input: { email, password, name } },
  );
  if (!result.data) throw new Error(result.text);
  return result.data.createAccessToken.accessToken.id;
}

/** A timestamp as the database driver gives it (text or Date), in ISO 8601. */
const iso = (value: unknown): string => new Date(value as string | Date).toISOString();

describe('the whole viewer', () => {
  it('shows what the database holds, in the documented orders', async () => {
    const owner = await signUp(server);
    await server.sql(`update users set plan = 'starter' where id = ?`, [owner.id]);
    const big = await createOrganization(server, owner.token, 'Big Org');
    for (const [i, role] of (['admin', 'member'] as const).entries()) {
      const member = await signUp(server);
      await addMember(server, big, member.id, role, new Date(Date.now() + (i + 1) * 1000));
    }
    const other = await signUp(server);
    const small = await createOrganization(server, other.token, 'Small Org');
    await addMember(server, small, owner.id, 'member', new Date(Date.now() + 60_000));

    const revoked = await createToken(owner.email, owner.password, 'revoked soon');
    await createToken(owner.email, owner.password, 'kept');
    const revoke = await server.graphql(
      'mutation($id: ID!) { revokeAccessToken(id: $id) { id } }',
      { id: revoked },
      owner.token,
    );
    expect(revoke.errors).toBeUndefined();
    const added = await server.graphql(
      'mutation { addApiKey(input: {provider: openai, key: "sk-proj-abcdefghijkl7890", name: "Main"}) { id } }',
      {},
      owner.token,
    );
    expect(added.errors).toBeUndefined();

    const result = await server.graphql<WholeViewer>(WHOLE_VIEWER, {}, owner.token);
    expect(result.errors).toBeUndefined();
    const viewer = result.data!.viewer;

    const tokens = await server.sql<{ id: string; name: string; created_at: Date }>(
      `select id, name, created_at from access_tokens
        where user_id = ? and revoked_at is null order by created_at, id`,
      [owner.id],
    );
    expect(tokens.map((t) => t.name)).toEqual([expect.any(String), 'kept']);
    expect(viewer.accessTokens.map(({ id, name, createdAt }) => ({ id, name, createdAt }))).toEqual(
      tokens.map((t) => ({ id: t.id, name: t.name, createdAt: iso(t.created_at) })),
    );
    expect(viewer.planLimits).toEqual({ plan: 'starter', accessTokens: 5, activeAccessTokens: 2 });

    expect(viewer.apiKeys).toEqual([
      { provider: 'openai', name: 'Main', maskedKey: 'sk-proj-…7890', status: 'unverified' },
    ]);

    const [onboarding] = await server.sql<{ completed_at: Date }>(
      'select completed_at from onboardings where user_id = ?',
      [owner.id],
    );
    expect(viewer.onboarding).toEqual({
      completed: true,
      completedAt: iso(onboarding!.completed_at),
      preferences: { company: 'Co', interests: ['ai-chat'] },
    });

    const counts = await server.sql<{ organization_id: string; n: number }>(
      `select organization_id, count(*)::int as n from memberships
        where organization_id in (?, ?) group by organization_id`,
      [big, small],
    );
    const count = (id: string) => counts.find((row) => row.organization_id === id)?.n;
    expect([count(big), count(small)]).toEqual([3, 2]);
    expect(viewer.organizations).toEqual([
      {
        role: 'owner',
        joinedAt: expect.any(String) as unknown,
        organization: { id: big, name: 'Big Org', memberCount: 3 },
      },
      {
        role: 'member',
        joinedAt: expect.any(String) as unknown,
        organization: { id: small, name: 'Small Org', memberCount: 2 },
      },
    ]);

    // Everything but the time zone: the teammates count as invited through the memberships.
    expect(viewer.onboardingProgress).toEqual({
      steps: [
        { id: 'profile', completed: true },
        { id: 'timezone', completed: false },
        { id: 'onboarding', completed: true },
        { id: 'api_key', completed: true },
        { id: 'invite_teammate', completed: true },
      ],
      completedCount: 4,
      nextStep: { id: 'timezone' },
    });
  });

  it('answers empty lists for an account that owns nothing', async () => {
    const user = await signUp(server);
    const result = await server.graphql<WholeViewer>(WHOLE_VIEWER, {}, user.token);
    expect(result.errors).toBeUndefined();
    expect(result.data!.viewer).toMatchObject({
      accessTokens: [{ id: user.tokenId }],
      apiKeys: [],
      onboarding: { completed: false, completedAt: null, preferences: null },
      onboardingProgress: { completedCount: 0, nextStep: { id: 'profile' } },
      planLimits: { plan: 'free', activeAccessTokens: 1 },
      organizations: [],
    });
  });
});

describe("a mutation payload's viewer", () => {
  it('is read after its own write, even with several mutations in one document', async () => {
    const user = await signUp(server);
    const answers = (company: string) =>
      `{fullName: "U", jobTitle: "Lead", company: "${company}", useCase: "Specs", teamSize: "small",
        prdStyle: "lean", interests: ["ai-chat"], createOrg: false}`;
    const owned = 'viewer { onboarding { preferences { company } } apiKeys { provider } }';
    const result = await server.graphql<
      Record<
        'a' | 'b',
        {
          viewer: {
            onboarding: { preferences: { company: string } };
            apiKeys: { provider: string }[];
          };
        }
      >
    >(
      `mutation {
         a: completeOnboarding(input: ${answers('First')}) { ${owned} }
         key: addApiKey(input: {provider: anthropic, key: "sk-ant-api03-abcdefghijkl"}) { id }
         b: completeOnboarding(input: ${answers('Second')}) { ${owned} }
       }`,
      {},
      user.token,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.a.viewer).toEqual({
      onboarding: { preferences: { company: 'First' } },
      apiKeys: [],
    });
    expect(result.data!.b.viewer).toEqual({
      onboarding: { preferences: { company: 'Second' } },
      apiKeys: [{ provider: 'anthropic' }],
    });
  });
});

describe('reads of several viewers at once', () => {
  /** A ViewerReads over the server's statements, recording each statement. */
  function counted(fail = false): { reads: ViewerReads; calls: StatementCall[] } {
    const { statements, calls } = recordingStatements(server, { fail });
    return { reads: new ViewerReads(statements), calls };
  }

  it('go to the database in one statement, each user getting its own row', async () => {
    const users = await Promise.all(Array.from({ length: 6 }, () => signUp(server)));
    const { reads, calls } = counted();
    // The same user twice in one batch, as two concurrent requests would.
    const asked = [...users, users[0]!];

    const owned = await Promise.all(asked.map((user) => reads.read(user.id)));

    expect(calls).toHaveLength(1);
    expect(calls[0]!.values).toEqual([asked.map((user) => user.id)]);
    owned.forEach((mine, i) => {
      expect(mine.accessTokens.map((token) => token.id)).toEqual([asked[i]!.tokenId]);
    });
    expect(owned[6]).toEqual(owned[0]);
    expect(owned[6]).not.toBe(owned[0]); // objects of its own
  });

  it('all fail together when the statement fails, and the next batch reads again', async () => {
    const [a, b] = await Promise.all([signUp(server), signUp(server)]);
    const failing = counted(true);
    const results = await Promise.allSettled([failing.reads.read(a.id), failing.reads.read(b.id)]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);

    const { reads } = counted();
    expect((await reads.read(a.id)).accessTokens[0]?.id).toBe(a.tokenId);
  });

  it('over HTTP: concurrent viewers each see their own account', async () => {
    const users = await Promise.all(Array.from({ length: 12 }, () => signUp(server)));
    const answers = await Promise.all(
      users.map((user) => server.graphql<WholeViewer>(WHOLE_VIEWER, {}, user.token)),
    );
    answers.forEach((answer, i) => {
      expect(answer.errors).toBeUndefined();
      expect(answer.data!.viewer.id).toBe(users[i]!.id);
      expect(answer.data!.viewer.accessTokens.map((token) => token.id)).toEqual([
        users[i]!.tokenId,
      ]);
    });
  });
});
