import pg from 'pg';
import { randomClientAddress, startTestServer, type TestServer } from './helpers/app';
import { PASSWORD, signUp, type SignedUp } from './helpers/factories';
import { ControlledPostgres } from './helpers/pg-control';

/*
 * A row lock held elsewhere (an operator's transaction, a stuck job): the
 * mutations that must wait for the user's row answer 503 SERVICE_UNAVAILABLE
 * with Retry-After, whichever bound ends the wait first — the client-side
 * query timeout, the server's statement_timeout (57014) or a lock_timeout
 * (55P03) — never 500, and change nothing. A PostgreSQL of this file's own,
 * so that database settings changed here reach no other test.
 */

jest.setTimeout(180_000);

/** The server's statement_timeout (src/infra/db/orm-config.ts). */
const STATEMENT_TIMEOUT_MS = 10_000;
/** For a 2-core machine shared by several test runs. */
const SLACK_MS = 6_000;

let postgres: ControlledPostgres;
beforeAll(async () => {
  postgres = await ControlledPostgres.start();
});
afterAll(async () => {
  await postgres.quit();
});

interface Answer {
  name: string;
  status: number;
  code: unknown;
  retryAfter: string | null;
  ms: number;
}

/** The four mutations that wait for the user's row, on both faces where they have a REST path. */
function mutations(server: TestServer, user: SignedUp): Promise<Answer>[] {
  const graphql = async (name: string, query: string, variables: Record<string, unknown>) => {
    const started = Date.now();
    const result = await server.graphql(query, variables, user.token);
    return {
      name,
      status: result.status,
      code: result.errors?.[0]?.extensions['code'],
      retryAfter: result.headers.get('retry-after'),
      ms: Date.now() - started,
    };
  };
  const rest = async (name: string, method: string, path: string, body: unknown) => {
    const started = Date.now();
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        'x-forwarded-for': randomClientAddress(),
        authorization: `Bearer ${user.token}`,
      },
      body: JSON.stringify(body),
    });
    const parsed = (await response.json()) as { error?: { code?: string } };
    return {
      name,
      status: response.status,
      code: parsed.error?.code,
      retryAfter: response.headers.get('retry-after'),
      ms: Date.now() - started,
    };
  };
  return [
    graphql('updateProfile', 'mutation { updateProfile(input: {jobTitle: "Locked"}) { id } }', {}),
    graphql('addApiKey', 'mutation($i: AddApiKeyInput!) { addApiKey(input: $i) { id } }', {
      i: { provider: 'anthropic', key: 'sk-ant-locked-0123456789' },
    }),
    graphql(
      'createAccessToken',
      'mutation($i: CreateAccessTokenInput!) { createAccessToken(input: $i) { token } }',
      { i: { email: user.email, password: PASSWORD } },
    ),
    graphql(
      'changePassword',
      'mutation($i: ChangePasswordInput!) { changePassword(input: $i) { message } }',
      { i: { currentPassword: PASSWORD, newPassword: 'Other-Passw0rd' } },
    ),
    rest('PATCH /api/user/profile', 'PATCH', '/api/user/profile', { jobTitle: 'Locked' }),
    rest('PATCH /api/users/password', 'PATCH', '/api/users/password', {
      current_password: PASSWORD,
      new_password: 'Other-Passw0rd',
    }),
  ];
}

/** Runs the mutations while another session holds the user's row lock; releases it after. */
async function whileRowLocked(server: TestServer, user: SignedUp): Promise<Answer[]> {
  const blocker = new pg.Client({ connectionString: postgres.url });
  blocker.on('error', () => undefined); // surfaces through its queries
  await blocker.connect();
  try {
    await blocker.query('begin');
    await blocker.query('select 1 from users where id = $1 for update', [user.id]);
    return await Promise.all(mutations(server, user));
  } finally {
    await blocker.query('rollback').catch(() => undefined);
    await blocker.end().catch(() => undefined);
  }
}

/** Nothing those mutations would have changed has changed (the transactional ones). */
async function expectUnchanged(server: TestServer, user: SignedUp): Promise<void> {
  const rows = await server.sql<{ job_title: string | null; tokens: number }>(
    `select u.job_title, (select count(*)::int from access_tokens t where t.user_id = u.id) as tokens
       from users u where u.id = ?`,
    [user.id],
  );
  expect(rows).toEqual([{ job_title: null, tokens: 1 }]);
  // The password is still the old one.
  const signIn = await server.graphql(
    'mutation($i: CreateAccessTokenInput!) { createAccessToken(input: $i) { token } }',
    { i: { email: user.email, password: PASSWORD } },
  );
  expect(signIn.errors).toBeUndefined();
}

function expectAll503Within(answers: Answer[], boundMs: number): void {
  expect(answers.map((a) => `${a.name}: ${a.status} ${String(a.code)} ${a.retryAfter}`)).toEqual(
    answers.map((a) => `${a.name}: 503 SERVICE_UNAVAILABLE 5`),
  );
  for (const answer of answers) expect(answer.ms).toBeLessThan(boundMs + SLACK_MS);
}

describe('a row lock held elsewhere', () => {
  it('ends at the client-side query timeout (default, shorter than statement_timeout) as 503', async () => {
    const server = await startTestServer({ DATABASE_URL: postgres.url });
    try {
      const user = await signUp(server);
      const answers = await whileRowLocked(server, user);
      // The query timeout (5 s) ends the wait before the statement timeout would.
      expectAll503Within(answers, STATEMENT_TIMEOUT_MS);
      await expectUnchanged(server, user);
    } finally {
      await server.close();
    }
  });

  it("ends at the server's statement_timeout (57014) as 503 when the query timeout is longer", async () => {
    const server = await startTestServer({
      DATABASE_URL: postgres.url,
      DATABASE_QUERY_TIMEOUT_MS: '60000',
    });
    try {
      const user = await signUp(server);
      const answers = await whileRowLocked(server, user);
      expectAll503Within(answers, STATEMENT_TIMEOUT_MS);
      // It was the statement timeout that ended them: they waited for it.
      for (const answer of answers)
        expect(answer.ms).toBeGreaterThanOrEqual(STATEMENT_TIMEOUT_MS - 500);
      await expectUnchanged(server, user);
    } finally {
      await server.close();
    }
  });

  it('ends at a lock_timeout (55P03) set for the database as 503', async () => {
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query(`alter database account set lock_timeout = '1500ms'`);
    await admin.end();
    // Connections opened from now on carry it.
    const server = await startTestServer({
      DATABASE_URL: postgres.url,
      DATABASE_QUERY_TIMEOUT_MS: '60000',
    });
    try {
      const user = await signUp(server);
      const answers = await whileRowLocked(server, user);
      expectAll503Within(answers, 1_500);
      await expectUnchanged(server, user);
    } finally {
      await server.close();
      const reset = new pg.Client({ connectionString: postgres.url });
      await reset.connect();
      await reset.query('alter database account reset lock_timeout');
      await reset.end();
    }
  });
});

describe('a lock held on a table the data export reads', () => {
  it('answers the download 503 with Retry-After, not 500, when its lists cannot be read before the first byte', async () => {
    const server = await startTestServer({ DATABASE_URL: postgres.url });
    const blocker = new pg.Client({ connectionString: postgres.url });
    blocker.on('error', () => undefined); // surfaces through its queries
    try {
      const user = await signUp(server);
      await blocker.connect();
      await blocker.query('begin');
      // The export's first list (its messages) waits on this; what it reads
      // before the lists (account, onboarding, keys) does not.
      await blocker.query('lock table mail_outbox in access exclusive mode');
      const download = () =>
        fetch(`${server.url}/api/user/data-export`, {
          headers: {
            authorization: `Bearer ${user.token}`,
            'x-forwarded-for': randomClientAddress(),
          },
        });
      const started = Date.now();
      const response = await download();
      const ms = Date.now() - started;
      const body = (await response.json()) as { error?: { code?: string } };
      expect([response.status, body.error?.code, response.headers.get('retry-after')]).toEqual([
        503,
        'SERVICE_UNAVAILABLE',
        '5',
      ]);
      expect(response.headers.get('content-disposition')).toBeNull();
      expect(ms).toBeLessThan(STATEMENT_TIMEOUT_MS + SLACK_MS);
      await blocker.query('rollback');
      // Served again once the lock is gone: the whole document.
      const again = await download();
      expect(again.status).toBe(200);
      expect(((await again.json()) as { profile: { id: string } }).profile.id).toBe(user.id);
    } finally {
      await blocker.query('rollback').catch(() => undefined);
      await blocker.end().catch(() => undefined);
      await server.close();
    }
  });
});
