import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { startTestServer, workerDatabaseUrl, type TestServer } from './helpers/app';
import { CREATE_TOKEN, signUp, type SignedUp } from './helpers/factories';
import { childEnv } from './helpers/process';

const LIMITS = /* GraphQL */ `
  {
    viewer {
      planLimits {
        plan
        brands
        prompts
        competitors
        accessTokens
        contentScoresPerDay
        activeAccessTokens
      }
    }
  }
`;

let server: TestServer;
let second: TestServer;
// Enough password attempts that all 20 racing sign-ins reach the plan check.
const RATE_LIMITS = 'passwordAttempts=100/900';
beforeAll(async () => {
  server = await startTestServer({ RATE_LIMITS });
  second = await startTestServer({ RATE_LIMITS });
});
afterAll(async () => {
  await Promise.all([server.close(), second.close()]);
});

const setPlan = (...args: string[]) =>
  spawnSync(
    process.execPath,
    [path.join(__dirname, '..', 'dist', 'src', 'cli', 'set-plan.js'), ...args],
    {
      env: childEnv({ NODE_ENV: 'test', DATABASE_URL: workerDatabaseUrl() }),
      encoding: 'utf8',
      timeout: 60_000,
    },
  );

const activeTokens = async (user: SignedUp) =>
  (
    await server.sql('select 1 from access_tokens where user_id = ? and revoked_at is null', [
      user.id,
    ])
  ).length;

describe('Viewer.planLimits', () => {
  it('shows the free plan table and the tokens in use', async () => {
    const user = await signUp(server);
    const result = await server.graphql(LIMITS, {}, user.token);
    expect(result.data).toEqual({
      viewer: {
        planLimits: {
          plan: 'free',
          brands: 1,
          prompts: 25,
          competitors: 2,
          accessTokens: 2,
          contentScoresPerDay: 5,
          activeAccessTokens: 1,
        },
      },
    });
  });
});

describe('the access-token limit', () => {
  it('lets exactly the allowed number through when 20 requests race on two instances', async () => {
    const user = await signUp(server); // free plan: 2 tokens, 1 in use
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? second : server).graphql(CREATE_TOKEN, {
          input: { email: user.email, password: user.password },
        }),
      ),
    );

    const codes = results.map((r) => r.errors?.[0]?.extensions['code'] ?? 'OK');
    expect(codes.filter((c) => c === 'OK')).toHaveLength(1);
    expect(codes.filter((c) => c === 'PLAN_LIMIT_EXCEEDED')).toHaveLength(19);
    expect(await activeTokens(user)).toBe(2);
  });

  it('counts only active tokens: revoking one makes room', async () => {
    const user = await signUp(server);
    await server.graphql(CREATE_TOKEN, { input: { email: user.email, password: user.password } });
    const refused = await server.graphql(CREATE_TOKEN, {
      input: { email: user.email, password: user.password },
    });
    expect(refused.errors?.[0]?.extensions).toEqual({ code: 'PLAN_LIMIT_EXCEEDED' });
    expect(refused.errors?.[0]?.message).toMatch(/free plan allows 2/);

    await server.graphql(
      'mutation($id: ID!) { revokeAccessToken(id: $id) { id } }',
      { id: user.tokenId },
      user.token,
    );
    const allowed = await server.graphql(CREATE_TOKEN, {
      input: { email: user.email, password: user.password },
    });
    expect(allowed.errors).toBeUndefined();
  });
});

describe('npm run plan:set', () => {
  it('changes the plan of an account, which the API then applies', async () => {
    const user = await signUp(server);
    const result = setPlan(user.email.toUpperCase(), 'growth');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`${user.id}: plan free -> growth\n`);

    const limits = await server.graphql<{
      viewer: { planLimits: { plan: string; accessTokens: number } };
    }>(LIMITS, {}, user.token);
    expect(limits.data!.viewer.planLimits).toMatchObject({ plan: 'growth', accessTokens: 20 });
    for (let i = 0; i < 3; i++) {
      const created = await server.graphql(CREATE_TOKEN, {
        input: { email: user.email, password: user.password },
      });
      expect(created.errors).toBeUndefined();
    }
  });

  it('refuses an unknown plan and an unknown account', async () => {
    const user = await signUp(server);
    const badPlan = setPlan(user.email, 'platinum');
    expect(badPlan.status).toBe(2);
    expect(badPlan.stderr).toMatch(/Unknown plan "platinum"/);
    const nobody = setPlan('nobody-at-all@example.com', 'starter');
    expect(nobody.status).toBe(1);
    const [row] = await server.sql('select plan from users where id = ?', [user.id]);
    expect(row).toEqual({ plan: 'free' });
  });

  it('is not possible through the API', async () => {
    const user = await signUp(server);
    const result = await server.graphql(
      'mutation { updateProfile(input: {plan: growth}) { plan } }',
      {},
      user.token,
    );
    expect(result.status).toBe(400);
    const [row] = await server.sql('select plan from users where id = ?', [user.id]);
    expect(row).toEqual({ plan: 'free' });
  });
});
