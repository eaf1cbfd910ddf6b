import pg from 'pg';
import { startTestServer, workerDatabaseUrl, type TestServer } from './helpers/app';
import { CREATE_TOKEN, signUp, type SignedUp } from './helpers/factories';
import { waitForLockWaiter } from './helpers/locks';

/*
 * Prometheus metrics on a listener of their own: scraped before and after
 * real traffic, each counter must have moved by exactly what was sent.
 */

let server: TestServer;
let metricsUrl: string;
let user: SignedUp;
beforeAll(async () => {
  server = await startTestServer({ RATE_LIMITS: 'passwordAttempts=3/900' });
  const port = await server.app.metrics.listen('127.0.0.1', 0);
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  user = await signUp(server);
});
afterAll(async () => {
  await server.close();
});

type Samples = Map<string, number>;

/** The text format as `name{label="value",…}` (labels sorted) → value. */
async function scrape(url = metricsUrl): Promise<Samples> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples: Samples = new Map();
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match?.[1] || !match[3]) throw new Error(`unparsable metrics line: ${line}`);
    const labels = (match[2] ?? '')
      .split(/,(?=[a-zA-Z_]+=")/)
      .filter(Boolean)
      .sort()
      .join(',');
    samples.set(`${match[1]}{${labels}}`, Number(match[3]));
  }
  return samples;
}

/** `name{…}` with the labels given in any order. */
function key(name: string, labels: Record<string, string>): string {
  const text = Object.entries(labels)
    .map(([label, value]) => `${label}="${value}"`)
    .sort()
    .join(',');
  return `${name}{${text}}`;
}

function delta(before: Samples, after: Samples, name: string, labels: Record<string, string>) {
  const k = key(name, labels);
  return (after.get(k) ?? 0) - (before.get(k) ?? 0);
}

function labelValues(samples: Samples, name: string, label: string): Set<string> {
  const values = new Set<string>();
  for (const k of samples.keys()) {
    if (!k.startsWith(`${name}{`)) continue;
    const value = new RegExp(`${label}="([^"]*)"`).exec(k)?.[1];
    if (value !== undefined) values.add(value);
  }
  return values;
}

const graphql = (body: Record<string, unknown>, token?: string, base = server.url) =>
  fetch(`${base}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });

describe('the mail outbox, read when scraped', () => {
  it('counts pending and failed messages and ages the oldest pending one', async () => {
    const db = new pg.Client({ connectionString: workerDatabaseUrl() });
    await db.connect();
    const insert = (id: string, status: string, age: string) =>
      db.query(
        `insert into mail_outbox (id, template, recipient, data, status, attempts, created_at)
         values ($1, 'verify_email', 'stuck@example.com', '{}', $2, 0, now() - $3::interval)`,
        [id, status, age],
      );
    // Other suites of this worker share the database and leave messages of
    // their own (one 60 days old, say): what is asserted is what these rows
    // change. Nothing here is older than a century.
    const century = 100 * 365.25 * 24 * 3600;
    const failed = (samples: Samples) =>
      samples.get(key('mail_outbox_messages', { status: 'failed' })) ?? Number.NaN;
    const pending = (samples: Samples) =>
      samples.get(key('mail_outbox_messages', { status: 'pending' })) ?? Number.NaN;
    const oldest = (samples: Samples) =>
      samples.get('mail_outbox_oldest_pending_seconds{}') ?? Number.NaN;
    try {
      const before = await scrape();
      expect(oldest(before)).toBeLessThan(century);
      // A message whose job was lost long ago, a newer one, and one given up on.
      await insert('mo_metrics_stuck', 'pending', '100 years');
      await insert('mo_metrics_newer', 'pending', '5 minutes');
      await insert('mo_metrics_failed', 'failed', '1 day');
      const stuck = await scrape();
      expect(failed(stuck) - failed(before)).toBe(1);
      expect(pending(stuck)).toBeGreaterThanOrEqual(2);
      expect(oldest(stuck)).toBeGreaterThanOrEqual(century);
      expect(oldest(stuck)).toBeLessThan(century + 600);
      // Delivered or dropped: the backlog is back where it was.
      await db.query(`delete from mail_outbox where id like 'mo_metrics_%'`);
      const after = await scrape();
      expect(failed(after)).toBe(failed(before));
      expect(pending(stuck) - pending(after)).toBeGreaterThanOrEqual(2);
      expect(oldest(after)).toBeLessThan(century);
    } finally {
      await db.query(`delete from mail_outbox where id like 'mo_metrics_%'`).catch(() => undefined);
      await db.end();
    }
  });
});

describe('the metrics listener', () => {
  it('serves only GET /metrics, and the public port serves no metrics', async () => {
    expect((await fetch(metricsUrl.replace('/metrics', '/'))).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    const samples = await scrape();
    expect(samples.has('process_cpu_user_seconds_total{}')).toBe(true);
    expect([...samples.keys()].some((k) => k.startsWith('nodejs_eventloop_lag_p99_seconds'))).toBe(
      true,
    );
    // Every limit's series exists before any refusal; the scrypt gauges read the hasher.
    expect(samples.get(key('rate_limit_refusals_total', { limit: 'dataExport' }))).toBe(0);
    expect(samples.get(key('scrypt_queue_depth', { state: 'queued' }))).toBe(0);
    expect(samples.get(key('scrypt_queue_depth', { state: 'running' }))).toBe(0);
  });
});

describe('after traffic', () => {
  it('counts requests by route, method, status and operation, with their durations', async () => {
    const before = await scrape();
    for (let i = 0; i < 5; i++) {
      const response = await graphql(
        { query: 'query ViewerProbe { viewer { id } }', operationName: 'ViewerProbe' },
        user.token,
      );
      expect(response.status).toBe(200);
    }
    expect((await fetch(`${server.url}/api/user/profile`, { headers: auth() })).status).toBe(200);
    expect((await fetch(`${server.url}/no/such/path`)).status).toBe(404);
    const after = await scrape();

    const probe = { method: 'POST', route: '/graphql', operation: 'ViewerProbe' };
    expect(delta(before, after, 'http_requests_total', { ...probe, status: '200' })).toBe(5);
    expect(delta(before, after, 'http_request_duration_seconds_count', probe)).toBe(5);
    expect(
      delta(before, after, 'http_request_duration_seconds_bucket', { ...probe, le: '+Inf' }),
    ).toBe(5);
    const rest = { method: 'GET', route: '/api/user/profile', operation: 'none', status: '200' };
    expect(delta(before, after, 'http_requests_total', rest)).toBe(1);
    const unmatched = { method: 'GET', route: 'unmatched', operation: 'none', status: '404' };
    expect(delta(before, after, 'http_requests_total', unmatched)).toBe(1);
    // Never the raw URL.
    expect([...after.keys()].some((k) => k.includes('/no/such/path'))).toBe(false);
  });

  it('counts GraphQL errors by code and rate-limit refusals by limit', async () => {
    const before = await scrape();
    const unauthenticated = await graphql(
      { query: 'query ViewerProbe { viewer { id } }', operationName: 'ViewerProbe' },
      'acct_live_not-a-token',
    );
    expect(((await unauthenticated.json()) as { data: unknown }).data).toEqual({ viewer: null });
    const target = await signUp(server);
    for (let i = 0; i < 4; i++) {
      await graphql({
        query: CREATE_TOKEN,
        variables: { input: { email: target.email, password: `Wrong-Passw0rd-${i}` } },
      });
    }
    const after = await scrape();
    const errors = (code: string, operation: string) =>
      delta(before, after, 'graphql_errors_total', { code, operation });
    expect(errors('UNAUTHENTICATED', 'ViewerProbe')).toBe(1);
    // CreateToken is admitted as a label only once it succeeds: all four failed.
    expect(errors('UNAUTHENTICATED', 'other')).toBe(3);
    expect(errors('RATE_LIMITED', 'other')).toBe(1);
    expect(delta(before, after, 'rate_limit_refusals_total', { limit: 'passwordAttempts' })).toBe(
      1,
    );
  });

  it('keeps operation labels bounded: at most 50 names of the clients’ choosing, the rest "other"', async () => {
    // A server of its own: the names admitted elsewhere in this file do not count.
    const own = await startTestServer();
    const ownUrl = `http://127.0.0.1:${await own.app.metrics.listen('127.0.0.1', 0)}/metrics`;
    const { token } = await signUp(own);
    let before: Samples;
    let after: Samples;
    try {
      before = await scrape(ownUrl);
      for (let i = 0; i < 60; i++) {
        const name = `Probe${i}`;
        const response = await graphql(
          { query: `query ${name} { viewer { id } }`, operationName: name },
          token,
          own.url,
        );
        expect(response.status).toBe(200);
      }
      await graphql({ query: '{ viewer { id } }' }, token, own.url);
      after = await scrape(ownUrl);
    } finally {
      await own.close();
    }
    const operations = labelValues(after, 'http_requests_total', 'operation');
    const chosen = [...operations].filter((o) => !['none', 'anonymous', 'other'].includes(o));
    // SignUp, then the first 49 probes.
    expect(chosen.length).toBe(50);
    const other = { method: 'POST', route: '/graphql', operation: 'other', status: '200' };
    const anonymous = { method: 'POST', route: '/graphql', operation: 'anonymous', status: '200' };
    const admitted = chosen.filter((o) => o.startsWith('Probe')).length;
    expect(delta(before, after, 'http_requests_total', other)).toBe(60 - admitted);
    expect(delta(before, after, 'http_requests_total', anonymous)).toBe(1);
  });

  it('reads the database pool when scraped: a request held on a lock is in use', async () => {
    const blocker = new pg.Client({ connectionString: workerDatabaseUrl() });
    blocker.on('error', () => undefined);
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query('select 1 from users where id = $1 for update', [user.id]);
      const held = fetch(`${server.url}/api/user/profile`, {
        method: 'PATCH',
        headers: { ...auth(), 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Held' }),
      });
      await waitForLockWaiter(workerDatabaseUrl(), '%users%');
      const during = await scrape();
      expect(during.get(key('db_pool_connections', { state: 'in_use' }))).toBeGreaterThanOrEqual(1);
      expect(during.has(key('db_pool_connections', { state: 'idle' }))).toBe(true);
      expect(during.get('db_pool_waiting{}')).toBe(0);
      await blocker.query('commit');
      expect((await held).status).toBe(200);
    } finally {
      await blocker.end();
    }
  });
});

function auth(): Record<string, string> {
  return { authorization: `Bearer ${user.token}` };
}
