import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { freePort } from '../scripts/free-port';
import { createScratchDatabase, testMasterKeys } from './helpers/app';
import { PASSWORD, SIGN_UP, uniqueEmail } from './helpers/factories';
import { childEnv, MAIN } from './helpers/process';

/**
 * Issue 19: eight concurrent exports of a user with 10 000 rows of each kind
 * keep the server process under 300 MB peak RSS. The server runs as its own
 * process (as `npm start` runs it: same node flags and malloc setting), so
 * the peak is the service's alone: the kernel's high-water mark of its
 * resident set (VmHWM in /proc/<pid>/status), read after the burst, so no
 * peak between two samples is missed. Its CPU time over the burst (utime +
 * stime from /proc/<pid>/stat) is printed per export, not asserted (no timed
 * assertions): issue 19 asks for under 1 s each.
 *
 * The user is seeded in bulk (generate_series) in a scratch database of its
 * own, so no other test's rows or statistics come into it.
 */

jest.setTimeout(300_000);

const ROWS = 10_000;
const EXPORTS = 8;
const PEAK_RSS_LIMIT_MB = 300;

function procStatus(pid: number, field: string): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  if (!line) throw new Error(`${field} not in /proc/${pid}/status`);
  return Number(/(\d+) kB/.exec(line)?.[1]) / 1024; // MB
}

/** utime + stime of the process, in milliseconds. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100; // _SC_CLK_TCK on Linux
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

let child: ChildProcess | undefined;
let output = '';
let url: string;
let databaseUrl: string;

beforeAll(async () => {
  databaseUrl = await createScratchDatabase();
  const port = await freePort();
  // What `npm start` runs (package.json): node --max-semi-space-size=8, MALLOC_MMAP_THRESHOLD_.
  child = spawn(process.execPath, ['--max-semi-space-size=8', MAIN], {
    env: childEnv({
      MALLOC_MMAP_THRESHOLD_: '1048576',
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      MASTER_KEYS: testMasterKeys(),
      SCRYPT_LOG_N: '4',
      LOG_LEVEL: 'warn',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited:\n${output}`);
    if (Date.now() > deadline) throw new Error(`server did not start:\n${output}`);
    const up = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    await new Promise((wake) => setTimeout(wake, 200));
  }
});

afterAll(async () => {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child!.on('exit', resolve));
  child.kill('SIGTERM');
  await exited;
});

async function graphql<T>(query: string, variables: Record<string, unknown>, token?: string) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: T; errors?: unknown[] };
}

/** A user holding ROWS of every list the export has, seeded in bulk. */
async function seedUser(): Promise<{ id: string; email: string; token: string }> {
  const email = uniqueEmail('export-burst');
  const signedUp = await graphql<{ signUp: { token: string; viewer: { id: string } } }>(SIGN_UP, {
    input: { email, password: PASSWORD, name: 'Burst' },
  });
  if (!signedUp.data) throw new Error(JSON.stringify(signedUp.errors));
  const { token, viewer } = signedUp.data.signUp;
  const added = await graphql(
    'mutation { addApiKey(input: {provider: openai, key: "sk-proj-BURST0123456789abcdefc123", name: "Mine"}) { id } }',
    {},
    token,
  );
  expect(added.errors).toBeUndefined();

  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query('set statement_timeout = 0');
    const at = `now() - g * interval '1 second'`;
    const id = [viewer.id];
    for (const [statement, values] of [
      [
        `insert into access_tokens (id, user_id, name, token_hash, created_at, updated_at, last_used_at)
       select 'tok_burst_' || g, $1::text, 'Token ' || g, md5($1::text || g), ${at}, ${at}, ${at}
         from generate_series(1, ${ROWS}) g`,
        id,
      ],
      [
        `insert into organizations (id, name, created_by_id, created_at, updated_at)
       select 'org_burst_' || g, 'Organization ' || g, null, ${at}, ${at}
         from generate_series(1, ${ROWS}) g`,
        [],
      ],
      [
        `insert into memberships (id, organization_id, user_id, role, created_at, updated_at)
       select 'mem_burst_' || g, 'org_burst_' || g, $1::text, 'member', ${at}, ${at}
         from generate_series(1, ${ROWS}) g`,
        id,
      ],
      [
        `insert into invitations (id, organization_id, invited_by_id, email, role, status, expires_at, created_at, updated_at)
       select 'inv_sent_' || g, 'org_burst_' || g, $1::text, 'invitee' || g || '@example.com', 'member',
              'pending', now() + interval '7 days', ${at}, ${at}
         from generate_series(1, ${ROWS}) g`,
        id,
      ],
      [
        `insert into invitations (id, organization_id, invited_by_id, email, role, status, expires_at, created_at, updated_at)
       select 'inv_recv_' || g, 'org_burst_' || g, null, $1::text, 'member',
              'accepted', now() + interval '7 days', ${at}, ${at}
         from generate_series(1, ${ROWS}) g`,
        [email],
      ],
      [
        `insert into activity_events (id, user_id, recorded_at)
       select 'act_burst_' || g, $1::text, ${at} from generate_series(1, ${ROWS}) g`,
        id,
      ],
      [
        `insert into mail_outbox (id, user_id, template, recipient, data, status, created_at, sent_at)
       select 'mail_burst_' || g, $1::text, 'verify_email', $2::text, '{}', 'sent', ${at}, ${at}
         from generate_series(1, ${ROWS}) g`,
        [viewer.id, email],
      ],
      ['analyze', []],
    ] as [string, string[]][]) {
      await db.query(statement, values);
    }
  } finally {
    await db.end();
  }
  return { id: viewer.id, email, token };
}

it(`${EXPORTS} concurrent exports of a user with ${ROWS} rows of each kind stay under ${PEAK_RSS_LIMIT_MB} MB peak RSS`, async () => {
  const pid = child!.pid!;
  const user = await seedUser();
  const rssBefore = procStatus(pid, 'VmRSS');
  const peakBefore = procStatus(pid, 'VmHWM');
  const cpuBefore = cpuMs(pid);

  const bodies = await Promise.all(
    Array.from({ length: EXPORTS }, async () => {
      const response = await fetch(`${url}/api/user/data-export`, {
        headers: { authorization: `Bearer ${user.token}` },
      });
      expect(response.status).toBe(200);
      return response.text();
    }),
  );
  const cpu = cpuMs(pid) - cpuBefore;
  const peak = procStatus(pid, 'VmHWM');

  for (const text of bodies) {
    const body = JSON.parse(text) as {
      profile: { id: string };
      accessTokens: unknown[];
      organizations: unknown[];
      memberships: unknown[];
      invitations: { sent: unknown[]; received: unknown[] };
      activity: { events: unknown[] };
      messages: unknown[];
    };
    expect(body.profile.id).toBe(user.id);
    expect(body.accessTokens.length).toBeGreaterThanOrEqual(ROWS);
    expect(body.organizations).toHaveLength(ROWS);
    expect(body.memberships).toHaveLength(ROWS);
    expect(body.invitations.sent).toHaveLength(ROWS);
    expect(body.invitations.received).toHaveLength(ROWS);
    expect(body.activity.events).toHaveLength(ROWS);
    expect(body.messages.length).toBeGreaterThanOrEqual(ROWS);
  }
  const size = (bodies[0]!.length / 1024 / 1024).toFixed(1);
  // The figures the closing note quotes (npm test -- test/export-memory.test.ts).
  console.log(
    `export burst: ${EXPORTS} × ${size} MB exports; server RSS before ${rssBefore.toFixed(0)} MB ` +
      `(peak so far ${peakBefore.toFixed(0)} MB), peak during the burst ${peak.toFixed(0)} MB; ` +
      `server CPU ${(cpu / EXPORTS).toFixed(0)} ms per export (${cpu.toFixed(0)} ms for ${EXPORTS})`,
  );
  expect(peak).toBeLessThan(PEAK_RSS_LIMIT_MB);
});
