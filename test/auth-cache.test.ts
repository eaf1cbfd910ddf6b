import pino from 'pino';
import { DatabaseInstant, monotonicNow } from '../src/db/database-clock';
import { AuthCache } from '../src/modules/auth/auth-cache';
import { Authenticator, type UserSnapshot } from '../src/modules/auth/authenticator';
import { generateToken, hashToken } from '../src/modules/auth/token';
import { startTestServer, workerDatabaseUrl, type TestServer } from './helpers/app';
import { TEST_CONNECT_TIMEOUT_MS } from './helpers/connect-timeout';
import { CREATE_TOKEN, PASSWORD, signUp, type SignedUp } from './helpers/factories';
import { RestClient } from './helpers/rest';
import { recordingStatements } from './helpers/statements';

/*
 * The token cache (src/modules/auth/auth-cache.ts) against two instances on
 * one database: whatever one of them (or an operator's SQL) changes, the
 * other stops serving from memory.
 */

/** Where an AuthCache built by a test LISTENs. */
const listenOn = () => ({
  url: workerDatabaseUrl(),
  connectTimeoutMs: Number(TEST_CONNECT_TIMEOUT_MS),
});

jest.setTimeout(30_000);

let a: TestServer;
let b: TestServer;
beforeAll(async () => {
  [a, b] = await Promise.all([startTestServer(), startTestServer()]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});

const VIEWER = '{ viewer { id profile { name } } }';
const REVOKE = 'mutation($id: ID!) { revokeAccessToken(id: $id) { id } }';

type Viewer = { viewer: { id: string; profile: { name: string } } | null };

const cacheOf = (server: TestServer) => server.app.deps.authCache.stats();

/** Authenticates once on `server`, and checks that the lookup is now held in memory. */
async function warm(server: TestServer, token: string): Promise<void> {
  const before = cacheOf(server).size;
  const result = await server.graphql<Viewer>(VIEWER, {}, token);
  expect(result.errors).toBeUndefined();
  expect(cacheOf(server).serving).toBe(true);
  expect(cacheOf(server).size).toBeGreaterThanOrEqual(before + 1);
}

/** Asks `server` until `done` holds, for at most `ms` (change notifications take milliseconds). */
async function eventually<T>(ask: () => Promise<T>, done: (value: T) => boolean, ms = 2_000) {
  const deadline = Date.now() + ms;
  let value = await ask();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    value = await ask();
  }
  return value;
}

/**
 * How long a lost LISTEN connection may take to come back: the first retry
 * comes after 500 ms, and opening a connection has taken seconds on a loaded
 * machine (see test/helpers/connect-timeout.ts).
 */
const RECONNECT_MS = 20_000;

async function secondToken(server: TestServer, user: SignedUp): Promise<string> {
  const result = await server.graphql<{ createAccessToken: { token: string } }>(CREATE_TOKEN, {
    input: { email: user.email, password: PASSWORD, name: 'second' },
  });
  return result.data!.createAccessToken.token;
}

const code = (result: { errors?: { extensions: Record<string, unknown> }[] }) =>
  result.errors?.[0]?.extensions['code'];

describe('the token cache', () => {
  it('rejects a revoked token at once on the instance that revoked it', async () => {
    const user = await signUp(a);
    const other = await secondToken(a, user);
    await warm(a, user.token);

    expect((await a.graphql(REVOKE, { id: user.tokenId }, other)).errors).toBeUndefined();
    expect(code(await a.graphql(VIEWER, {}, user.token))).toBe('UNAUTHENTICATED');
    expect(
      (await new RestClient(a).request('GET', '/api/user/profile', { token: user.token })).status,
    ).toBe(401);
  });

  it('rejects a token revoked on another instance as soon as the database notifies it', async () => {
    const user = await signUp(a);
    const other = await secondToken(a, user);
    await warm(b, user.token);

    expect((await a.graphql(REVOKE, { id: user.tokenId }, other)).errors).toBeUndefined();
    const after = await eventually(
      () => b.graphql(VIEWER, {}, user.token),
      (result) => code(result) === 'UNAUTHENTICATED',
    );
    expect(code(after)).toBe('UNAUTHENTICATED');
    expect(after.data).toEqual({ viewer: null });
  });

  it('rejects a token revoked by SQL outside the service (the trigger notifies)', async () => {
    const user = await signUp(a);
    await warm(a, user.token);
    await warm(b, user.token);

    await a.sql('update access_tokens set revoked_at = now() where id = ?', [user.tokenId]);
    for (const server of [a, b]) {
      const after = await eventually(
        () => server.graphql(VIEWER, {}, user.token),
        (result) => code(result) === 'UNAUTHENTICATED',
      );
      expect(code(after)).toBe('UNAUTHENTICATED');
    }
  });

  it("rejects a deleted account's token on every instance", async () => {
    const user = await signUp(a);
    await warm(a, user.token);
    await warm(b, user.token);

    const deleted = await a.graphql(
      'mutation($e: String!) { deleteAccount(confirmEmail: $e) { message } }',
      { e: user.email },
      user.token,
    );
    expect(deleted.errors).toBeUndefined();
    expect(code(await a.graphql(VIEWER, {}, user.token))).toBe('UNAUTHENTICATED');
    const onB = await eventually(
      () => b.graphql(VIEWER, {}, user.token),
      (result) => code(result) === 'UNAUTHENTICATED',
    );
    expect(code(onB)).toBe('UNAUTHENTICATED');
  });

  it('serves a profile change at once where it was made, and on the other instance after the notification', async () => {
    const user = await signUp(a);
    await warm(a, user.token);
    await warm(b, user.token);

    const updated = await a.graphql(
      'mutation { updateProfile(input: {name: "Renamed"}) { id } }',
      {},
      user.token,
    );
    expect(updated.errors).toBeUndefined();
    expect((await a.graphql<Viewer>(VIEWER, {}, user.token)).data?.viewer?.profile.name).toBe(
      'Renamed',
    );
    const onB = await eventually(
      () => b.graphql<Viewer>(VIEWER, {}, user.token),
      (result) => result.data?.viewer?.profile.name === 'Renamed',
    );
    expect(onB.data?.viewer?.profile.name).toBe('Renamed');

    // The REST face reads its own writes too.
    const rest = new RestClient(a);
    expect(
      (
        await rest.request('PATCH', '/api/user/profile', {
          token: user.token,
          body: { name: 'R2' },
        })
      ).status,
    ).toBe(200);
    const profile = await rest.request<{ name: string }>('GET', '/api/user/profile', {
      token: user.token,
    });
    expect(profile.body.name).toBe('R2');
  });

  it('holds a changed user again once the change is in', async () => {
    const user = await signUp(a);
    await warm(b, user.token);
    const held = () => b.app.deps.authCache.get(hashToken(user.token)) !== undefined;

    const renamed = await a.graphql(
      'mutation { updateProfile(input: {name: "Again"}) { id } }',
      {},
      user.token,
    );
    expect(renamed.errors).toBeUndefined();
    // b drops the row when notified; a lookup after that is held again.
    const answer = await eventually(
      async () => ({ result: await b.graphql<Viewer>(VIEWER, {}, user.token), held: held() }),
      ({ result, held }) => result.data?.viewer?.profile.name === 'Again' && held,
    );
    expect(answer.result.data?.viewer?.profile.name).toBe('Again');
    expect(answer.held).toBe(true);
  });

  it('serves nothing from memory while its LISTEN connection is down, and resumes once it is back', async () => {
    const user = await signUp(a);
    await warm(a, user.token);

    await a.sql(
      `select pg_terminate_backend(pid) from pg_stat_activity
       where application_name = 'account-api-auth-cache' and datname = current_database()`,
    );
    // Both instances lost it; both drop what they held.
    for (const server of [a, b]) {
      const down = await eventually(
        () => Promise.resolve(cacheOf(server)),
        (stats) => !stats.serving,
      );
      expect(down).toMatchObject({ serving: false, size: 0 });
    }
    // Still answered, from the database.
    const result = await a.graphql<Viewer>(VIEWER, {}, user.token);
    expect(result.data?.viewer?.id).toBe(user.id);

    const back = await eventually(
      () => Promise.resolve(cacheOf(a)),
      (stats) => stats.serving,
      RECONNECT_MS,
    );
    expect(back.serving).toBe(true);
    await warm(a, user.token);
  });

  it('records lastUsedAt in batches, without a write on the request path', async () => {
    const user = await signUp(a);
    const lastUsedMs = async () =>
      (
        await a.sql<{ ms: number | null }>(
          'select floor(extract(epoch from last_used_at) * 1000)::float8 as ms from access_tokens where id = ?',
          [user.tokenId],
        )
      )[0]?.ms;

    await warm(a, user.token);
    expect(await lastUsedMs()).toBeNull();
    await a.app.deps.tokenUsage.flush();
    const recorded = await lastUsedMs();
    expect(typeof recorded).toBe('number');
    expect(Math.abs(Date.now() - recorded!)).toBeLessThan(60_000);

    const listed = await a.graphql<{ viewer: { accessTokens: { lastUsedAt: string | null }[] } }>(
      '{ viewer { accessTokens { lastUsedAt } } }',
      {},
      user.token,
    );
    expect(listed.data?.viewer.accessTokens[0]?.lastUsedAt).toBe(new Date(recorded!).toISOString());
  });
});

describe('lookups of concurrent requests', () => {
  it('go to the database in one statement, each token matched back to its own user', async () => {
    const users = await Promise.all(Array.from({ length: 5 }, () => signUp(a)));
    const revoked = await signUp(a);
    await a.sql('update access_tokens set revoked_at = now() where id = ?', [revoked.tokenId]);
    const { statements, calls } = recordingStatements(a);
    const cache = new AuthCache(listenOn(), 0, pino({ level: 'silent' })); // off
    const authenticator = new Authenticator(
      a.app.deps.orm,
      statements,
      a.app.deps.tokenUsage,
      cache,
    );
    const tokens = [
      ...users.map((user) => user.token),
      revoked.token,
      generateToken(),
      users[0]!.token,
    ];
    const noEntityManager = () => {
      throw new Error('not needed');
    };

    const sessions = await Promise.all(
      tokens.map((token) => authenticator.authenticate(token, noEntityManager)),
    );

    expect(calls).toHaveLength(1);
    expect(sessions.map((session) => session?.userId ?? null)).toEqual([
      ...users.map((user) => user.id),
      null, // revoked
      null, // unknown
      users[0]!.id,
    ]);
    // The snapshot holds the user's columns, nothing of the token.
    expect(JSON.stringify(sessions[0]!.profile)).not.toContain(hashToken(users[0]!.token));
  });

  it('over HTTP, with the cache off: each request is its own user', async () => {
    const server = await startTestServer({ AUTH_CACHE_TTL_MS: '0' });
    try {
      const users = await Promise.all(Array.from({ length: 12 }, () => signUp(server)));
      const answers = await Promise.all(
        users.map((user) => server.graphql<Viewer>(VIEWER, {}, user.token)),
      );
      expect(answers.map((answer) => answer.data?.viewer?.id)).toEqual(users.map((u) => u.id));
    } finally {
      await server.close();
    }
  });
});

describe('with AUTH_CACHE_TTL_MS=0', () => {
  it('holds nothing, and authentication still works', async () => {
    const server = await startTestServer({ AUTH_CACHE_TTL_MS: '0' });
    try {
      const user = await signUp(server);
      const result = await server.graphql<Viewer>(VIEWER, {}, user.token);
      expect(result.data?.viewer?.id).toBe(user.id);
      expect(cacheOf(server)).toEqual({ enabled: false, serving: false, size: 0 });
    } finally {
      await server.close();
    }
  });
});

describe('AuthCache, across a lost LISTEN connection', () => {
  it('does not hold a lookup that started before the connection was lost', async () => {
    const cache = new AuthCache(listenOn(), 30_000, pino({ level: 'silent' }));
    await cache.start();
    try {
      const session = {
        tokenId: 'tok_x',
        profile: { id: 'user_x' } as UserSnapshot,
        readAt: new DatabaseInstant(Date.now(), monotonicNow()),
      };
      const before = cache.mark(); // a lookup starts…
      await a.sql(
        `select pg_terminate_backend(pid) from pg_stat_activity
         where application_name = 'account-api-auth-cache' and datname = current_database()`,
      );
      await eventually(
        () => Promise.resolve(cache.stats()),
        (stats) => !stats.serving,
      );
      const back = await eventually(
        () => Promise.resolve(cache.stats()),
        (stats) => stats.serving,
        RECONNECT_MS,
      );
      expect(back.serving).toBe(true);

      // …and ends after the reconnection: what it read may predate a change
      // whose notification was lost with the connection.
      cache.set('hash-before', session, before);
      expect(cache.get('hash-before')).toBeUndefined();
      cache.set('hash-after', session, cache.mark());
      expect(cache.get('hash-after')).toBeDefined();
    } finally {
      await cache.close();
    }
  });
});
