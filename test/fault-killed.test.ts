import pg from 'pg';
import { randomClientAddress, startTestServer, type TestServer } from './helpers/app';
import { signUp, type SignedUp } from './helpers/factories';
import { ControlledPostgres } from './helpers/pg-control';

/*
 * Backends killed in the middle of requests and transactions
 * (pg_terminate_backend, 57P01, as a failover or an operator would): under
 * 20 concurrent clients sending mutations, every answer is 200 or 503
 * SERVICE_UNAVAILABLE with Retry-After, never 500, and the service serves
 * again once the killing stops. A PostgreSQL of this file's own, so the
 * killing reaches no other test.
 */

jest.setTimeout(180_000);

const CLIENTS = 20;
const KILLING_MS = 12_000;

let postgres: ControlledPostgres;
let server: TestServer;
let users: SignedUp[];
beforeAll(async () => {
  postgres = await ControlledPostgres.start();
  server = await startTestServer({ DATABASE_URL: postgres.url });
  users = [];
  for (let i = 0; i < 5; i++) users.push(await signUp(server));
});
afterAll(async () => {
  await server.close();
  await postgres.quit();
});

interface Answer {
  kind: string;
  status: number;
  code: string | undefined;
  retryAfter: string | null;
}

const MUTATIONS: [string, string, (n: number) => Record<string, unknown>][] = [
  [
    'updateProfile',
    'mutation($b: String) { updateProfile(input: {bio: $b}) { id } }',
    (n) => ({ b: `bio ${n}` }),
  ],
  [
    'addApiKey',
    'mutation($i: AddApiKeyInput!) { addApiKey(input: $i) { id } }',
    (n) => ({ i: { provider: 'openai', key: `sk-proj-killed-${n}-0123456789` } }),
  ],
  [
    'completeOnboarding',
    `mutation($c: String!) { completeOnboarding(input: {fullName: "Kay", jobTitle: "Lead", company: $c,
       useCase: "Specs", teamSize: "small", prdStyle: "lean", interests: ["ai-chat"], createOrg: true})
       { onboarding { completed } } }`,
    (n) => ({ c: `Company ${n}` }),
  ],
  [
    'updateTimezone',
    'mutation($t: String!) { updateTimezone(timezone: $t) { timezone } }',
    (n) => ({
      t: n % 2 ? 'Europe/Paris' : 'Asia/Tokyo',
    }),
  ],
  [
    'viewer',
    '{ viewer { id apiKeys { id } organizations { id } onboardingProgress { completedCount } } }',
    () => ({}),
  ],
];

async function request(n: number): Promise<Answer> {
  const user = users[n % users.length] as SignedUp;
  const [kind, query, variables] = MUTATIONS[n % MUTATIONS.length] as (typeof MUTATIONS)[number];
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-forwarded-for': randomClientAddress(),
      authorization: `Bearer ${user.token}`,
    },
    body: JSON.stringify({ query, variables: variables(n) }),
  });
  const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
  return {
    kind,
    status: response.status,
    code: body.errors?.[0]?.extensions?.code,
    retryAfter: response.headers.get('retry-after'),
  };
}

describe('backends killed under load', () => {
  it('answers 200 or 503 with Retry-After, never 500, and serves again afterwards', async () => {
    let running = true;
    const answers: Answer[] = [];
    const clients = Array.from({ length: CLIENTS }, async (_, client) => {
      for (let n = client; running; n += CLIENTS) answers.push(await request(n));
    });

    const killer = new pg.Client({ connectionString: postgres.url });
    await killer.connect();
    let killed = 0;
    const until = Date.now() + KILLING_MS;
    try {
      while (Date.now() < until) {
        const { rows } = await killer.query<{ pid: number }>(
          `select pid from pg_stat_activity
            where application_name = 'account-api' and pid <> pg_backend_pid()
              and state <> 'idle'`,
        );
        for (const { pid } of rows) {
          await killer.query('select pg_terminate_backend($1)', [pid]);
          killed++;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await killer.end();
    }
    running = false;
    await Promise.all(clients);

    expect(killed).toBeGreaterThan(0);
    const failed = answers.filter((a) => a.status !== 200);
    expect(failed.filter((a) => a.status !== 503)).toEqual([]);
    for (const a of failed) {
      expect(a.code).toBe('SERVICE_UNAVAILABLE');
      expect(a.retryAfter).toBe('5');
    }
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThan(0);

    const after = await Promise.all(Array.from({ length: CLIENTS }, (_, n) => request(n)));
    expect(after.map((a) => `${a.kind}: ${a.status}`)).toEqual(after.map((a) => `${a.kind}: 200`));
  });
});
