import pg from 'pg';
import { databasePool } from '../src/infra/db/sql';
import { startTestServer, type GraphQLResult, type TestServer } from './helpers/app';
import { signUp, type SignedUp } from './helpers/factories';
import { addMember, createOrganization } from './helpers/organizations';
import { waitForLockWaiter } from './helpers/locks';
import { ControlledPostgres } from './helpers/pg-control';
import { RestClient } from './helpers/rest';

/*
 * A PostgreSQL of this file's own, stopped and started under a running server.
 */

jest.setTimeout(60_000);

let postgres: ControlledPostgres;
let server: TestServer;
let rest: RestClient;
let user: SignedUp;
beforeAll(async () => {
  postgres = await ControlledPostgres.start();
  server = await startTestServer({ DATABASE_URL: postgres.url });
  rest = new RestClient(server);
  user = await signUp(server);
});
afterAll(async () => {
  await server.close();
  await postgres.quit();
});

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
}

describe('PostgreSQL stops and comes back', () => {
  it('answers 503 fast while it is down, and 200 again once it is back, without a restart', async () => {
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    await postgres.stop();

    const graphql = await timed(() =>
      server.graphql('{ viewer { id profile { email } } }', {}, user.token),
    );
    expect(graphql.ms).toBeLessThan(5_000);
    expect(graphql.value.status).toBe(503);
    expect(graphql.value.headers.get('retry-after')).toBe('5');
    expect(graphql.value.errors?.[0]?.extensions['code']).toBe('SERVICE_UNAVAILABLE');
    expect(graphql.value.data).toEqual({ viewer: null });

    const restCall = await timed(() =>
      rest.request<{ error: { code: string } }>('GET', '/api/user/profile', { token: user.token }),
    );
    expect(restCall.ms).toBeLessThan(5_000);
    expect(restCall.value.status).toBe(503);
    expect(restCall.value.body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(restCall.value.headers.get('retry-after')).toBe('5');

    // Nothing succeeds unauthenticated either: sign-up fails as unavailable.
    const signUpWhileDown = await server.graphql(
      'mutation { signUp(input: {email: "down@example.com", password: "Sturdy-Passw0rd", name: "D"}) { token } }',
    );
    expect(signUpWhileDown.status).toBe(503);
    expect(signUpWhileDown.data).toBeNull();

    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    await postgres.start();
    const back = await server.graphql<{ viewer: { id: string } }>(
      '{ viewer { id } }',
      {},
      user.token,
    );
    expect(back.status).toBe(200);
    expect(back.data?.viewer.id).toBe(user.id);
    expect((await rest.request('GET', '/api/user/profile', { token: user.token })).status).toBe(
      200,
    );
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
});

describe('a connection killed in the middle of deleteAccount', () => {
  it('rolls everything back', async () => {
    const doomed = await signUp(server);
    const org = await createOrganization(server, doomed.token, 'Kept Org');
    const other = await signUp(server);
    await addMember(server, org, other.id, 'member', new Date());
    const before = await server.sql(
      'select count(*)::int as n from memberships where organization_id = ?',
      [org],
    );

    // Hold the organization's row lock so that deleteAccount stops half-way.
    const blocker = new pg.Client({ connectionString: postgres.url });
    blocker.on('error', () => undefined); // its errors surface through its queries
    await blocker.connect();
    let result: GraphQLResult;
    try {
      await blocker.query('begin');
      await blocker.query('select 1 from organizations where id = $1 for update', [org]);

      let answered: string | undefined;
      const deletion = server
        .graphql(
          'mutation($e: String!) { deleteAccount(confirmEmail: $e) { message } }',
          { e: doomed.email },
          doomed.token,
        )
        .finally(() => (answered = 'the deletion answered first'));
      // Up to 30 s: a loaded CI machine is slow to get there.
      const pid = await waitForLockWaiter(postgres.url, '%organizations%for update%', {
        gaveUp: () => answered,
      });
      await blocker.query('select pg_terminate_backend($1)', [pid]);
      result = await deletion;
    } finally {
      await blocker.query('rollback').catch(() => undefined);
      await blocker.end();
    }

    expect(result.errors?.[0]?.extensions['code']).toBe('SERVICE_UNAVAILABLE');
    expect(await server.sql('select 1 from users where id = ?', [doomed.id])).toHaveLength(1);
    expect(
      await server.sql('select 1 from access_tokens where user_id = ?', [doomed.id]),
    ).toHaveLength(1);
    expect(
      await server.sql('select count(*)::int as n from memberships where organization_id = ?', [
        org,
      ]),
    ).toEqual(before);
    const me = await server.graphql('{ viewer { id } }', {}, doomed.token);
    expect(me.errors).toBeUndefined();
  });
});

describe('every pooled connection busy', () => {
  it('answers 503 SERVICE_UNAVAILABLE (not an internal error) when none frees up in time', async () => {
    const busy = await startTestServer({
      DB_POOL_MAX: '2',
      // Longer than the default (3 s), to see that the setting is the one applied.
      DATABASE_CONNECT_TIMEOUT_MS: '3500',
    });
    let release: () => Promise<void> = () => Promise.resolve();
    try {
      const owner = await signUp(busy);
      const pool = await databasePool(busy.app.database.orm);
      const held = [await pool.connect(), await pool.connect()];
      release = () => {
        for (const connection of held.splice(0)) connection.release();
        return Promise.resolve();
      };

      const graphql = await timed(() =>
        busy.graphql('{ viewer { profile { email } } }', {}, owner.token),
      );
      expect(graphql.value.status).toBe(503);
      expect(graphql.value.errors?.[0]?.extensions['code']).toBe('SERVICE_UNAVAILABLE');
      // It waited for a connection as long as DATABASE_CONNECT_TIMEOUT_MS says.
      expect(graphql.ms).toBeGreaterThanOrEqual(3400);
      const restCall = await new RestClient(busy).request<{ error: { code: string } }>(
        'GET',
        '/api/user/profile',
        { token: owner.token },
      );
      expect(restCall.status).toBe(503);
      expect(restCall.body.error.code).toBe('SERVICE_UNAVAILABLE');

      await release();
      const after = await busy.graphql('{ viewer { profile { email } } }', {}, owner.token);
      expect(after.status).toBe(200);
      expect(after.errors).toBeUndefined();
    } finally {
      await release();
      await busy.close();
    }
  });
});

describe('a connection that dies inside a transaction', () => {
  it('gives its pool slot back: the pool does not shrink by one per lost connection', async () => {
    const small = await startTestServer({ DB_POOL_MAX: '1', AUTH_CACHE_TTL_MS: '0' });
    try {
      const owner = await signUp(small);
      for (let i = 0; i < 3; i++) {
        // Neither the statement nor the ROLLBACK after it can succeed on it.
        await expect(
          small
            .em()
            .transactional((em) => em.execute('select pg_terminate_backend(pg_backend_pid())')),
        ).rejects.toThrow();
      }
      const after = await timed(() =>
        small.graphql('{ viewer { profile { email } } }', {}, owner.token),
      );
      expect(after.value.errors).toBeUndefined();
      expect(after.value.status).toBe(200);
      expect(after.ms).toBeLessThan(5_000);
    } finally {
      await small.close();
    }
  });
});
