import { createScratchDatabase, startTestServer, type TestServer } from './helpers/app';
import { CREATE_TOKEN, signUp } from './helpers/factories';
import { ControlledPostgres } from './helpers/pg-control';
import { startPgBouncer, type PgBouncer } from './helpers/pgbouncer';

/*
 * Production behind PgBouncer in transaction mode (Debian 12's 1.18, which
 * has no prepared-statement support): two service instances reach one
 * database through the pooler (DATABASE_URL), with unnamed statements
 * (DATABASE_PREPARED_STATEMENTS=unnamed) and the session-only work (the
 * migration lock) on DATABASE_DIRECT_URL. PgBouncer refuses every startup
 * parameter but application_name, so none of this would connect if the
 * service sent its timeouts that way.
 *
 * pgbouncer must be installed (.ci/run installs it); without it this file
 * fails, it does not skip.
 */

jest.setTimeout(120_000);

const ATTEMPTS = 30;
const REVOKE = 'mutation($id: ID!) { revokeAccessToken(id: $id) { id } }';
const VIEWER = '{ viewer { id profile { email } accessTokens { id } } }';

function throughPooler(bouncer: PgBouncer, direct: string): Record<string, string> {
  return {
    DATABASE_URL: bouncer.through(direct),
    DATABASE_DIRECT_URL: direct,
    DATABASE_PREPARED_STATEMENTS: 'unnamed',
    DB_POOL_MAX: '6',
  };
}

const codesOf = (results: { errors?: { extensions: Record<string, unknown> }[] }[]) =>
  results.map((r) => r.errors?.[0]?.extensions['code'] ?? 'OK');

describe('two instances through PgBouncer in transaction mode', () => {
  let bouncer: PgBouncer;
  let one: TestServer;
  let two: TestServer;
  const either = (i: number) => (i % 2 ? two : one);

  beforeAll(async () => {
    const direct = await createScratchDatabase();
    // A database migrated before PgBouncer opens its server connections, as
    // in production: a server connection keeps the settings it started with
    // (README: after the timeouts' migration, RECONNECT in PgBouncer's console).
    await (await startTestServer({ DATABASE_URL: direct })).close();
    // Fewer server connections than the two instances' pools hold together:
    // clients share server connections, as in production.
    bouncer = await startPgBouncer(direct, { default_pool_size: 4 });
    // Room for the plan-limit race's correct passwords; the password race fills it.
    const env = {
      ...throughPooler(bouncer, direct),
      RATE_LIMITS: `passwordAttempts=${ATTEMPTS}/900`,
    };
    [one, two] = await Promise.all([startTestServer(env), startTestServer(env)]);
  });
  afterAll(async () => {
    await Promise.all([one.close(), two.close()]);
    await bouncer.stop();
  });

  it('holds the statement and idle-in-transaction timeouts on pooled connections', async () => {
    const settings = await one.sql<{ s: string; i: string }>(
      `select current_setting('statement_timeout') as s,
              current_setting('idle_in_transaction_session_timeout') as i`,
    );
    expect(settings).toEqual([{ s: '10s', i: '30s' }]);
    const log = await bouncer.log();
    expect(log).not.toMatch(/unsupported startup parameter/);
  });

  it('answers 120 concurrent reads across both instances with unnamed statements', async () => {
    const users = await Promise.all(Array.from({ length: 4 }, (_, i) => signUp(either(i))));
    const results = await Promise.all(
      Array.from({ length: 120 }, (_, i) => {
        const user = users[i % users.length];
        return either(i).graphql<{ viewer: { id: string } }>(VIEWER, {}, user?.token);
      }),
    );
    expect(codesOf(results).filter((c) => c !== 'OK')).toEqual([]);
    results.forEach((r, i) => expect(r.data?.viewer.id).toBe(users[i % users.length]?.id));
  });

  it('a token revoked on one instance is refused on the other at once', async () => {
    for (let round = 0; round < 5; round++) {
      const user = await signUp(one);
      expect((await two.graphql(VIEWER, {}, user.token)).errors).toBeUndefined();
      const revoked = await one.graphql(REVOKE, { id: user.tokenId }, user.token);
      expect(revoked.errors).toBeUndefined();
      const after = await two.graphql(VIEWER, {}, user.token);
      expect(after.data).toEqual({ viewer: null });
      expect(after.errors?.[0]?.extensions['code']).toBe('UNAUTHENTICATED');
    }
  });

  it('keeps the password-attempt limit exact when 40 wrong attempts race on both (3 rounds)', async () => {
    for (let round = 0; round < 3; round++) {
      const user = await signUp(one);
      const results = await Promise.all(
        Array.from({ length: ATTEMPTS + 10 }, (_, i) =>
          either(i).graphql(CREATE_TOKEN, {
            input: { email: user.email, password: `Wrong-Passw0rd-${i}` },
          }),
        ),
      );
      const codes = codesOf(results);
      expect(codes.filter((c) => c === 'UNAUTHENTICATED')).toHaveLength(ATTEMPTS);
      expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(10);
    }
  });

  it('keeps the plan limit exact when 10 sign-ins race on both (5 rounds)', async () => {
    for (let round = 0; round < 5; round++) {
      const user = await signUp(two); // free plan: 2 tokens, 1 in use
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          either(i).graphql(CREATE_TOKEN, {
            input: { email: user.email, password: user.password },
          }),
        ),
      );
      const codes = codesOf(results);
      expect(codes.filter((c) => c === 'OK')).toHaveLength(1);
      expect(codes.filter((c) => c === 'PLAN_LIMIT_EXCEEDED')).toHaveLength(9);
      const active = await one.sql<{ n: number }>(
        'select count(*)::int as n from access_tokens where user_id = ? and revoked_at is null',
        [user.id],
      );
      expect(active).toEqual([{ n: 2 }]);
    }
  });
});

describe('PostgreSQL stops and comes back behind PgBouncer', () => {
  let postgres: ControlledPostgres;
  let bouncer: PgBouncer;
  let server: TestServer;

  beforeAll(async () => {
    postgres = await ControlledPostgres.start();
    bouncer = await startPgBouncer(postgres.url);
    server = await startTestServer(throughPooler(bouncer, postgres.url));
  });
  afterAll(async () => {
    await server.close();
    await bouncer.stop();
    await postgres.quit();
  });

  it('answers 503 while it is down and 200 again once it is back, without a restart', async () => {
    const user = await signUp(server);
    expect((await server.graphql(VIEWER, {}, user.token)).status).toBe(200);
    await postgres.stop();

    const started = Date.now();
    const down = await server.graphql(VIEWER, {}, user.token);
    // Bounded by PgBouncer's query_wait_timeout (10 s here) at worst.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(down.status).toBe(503);
    expect(down.errors?.[0]?.extensions['code']).toBe('SERVICE_UNAVAILABLE');
    expect(down.headers.get('retry-after')).toBe('5');
    expect(down.text).not.toMatch(/pgbouncer|query_wait_timeout|server login/i);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);

    await postgres.start();
    // PgBouncer retries its server login every second (server_login_retry = 1).
    const deadline = Date.now() + 30_000;
    let back = await server.graphql<{ viewer: { id: string } }>(VIEWER, {}, user.token);
    while (back.status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      back = await server.graphql<{ viewer: { id: string } }>(VIEWER, {}, user.token);
    }
    expect(back.status).toBe(200);
    expect(back.data?.viewer.id).toBe(user.id);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
});
