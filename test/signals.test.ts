import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../scripts/free-port';
import { PASSWORD, SIGN_UP, uniqueEmail } from './helpers/factories';
import { waitForLockWaiter } from './helpers/locks';
import { childEnv, isAlive } from './helpers/process';

/*
 * `npm start` under a supervisor: whatever is signalled (the npm process, the
 * node process, or the whole process group, as Ctrl-C does) with SIGTERM or
 * SIGINT, a request in flight finishes with 200, npm exits 0, and neither
 * node nor postgres is left running. The request is held in flight by a row
 * lock this test takes, so no timing decides the outcome.
 */

jest.setTimeout(180_000);

const ROOT = path.join(__dirname, '..');

interface NpmStart {
  npm: ChildProcess;
  /** The node process serving (from its log line). */
  nodePid: number;
  exited: Promise<number | string>;
  output(): string;
}

let dataDir: string;
let env: Record<string, string>;
let port: number;
let pgPort: number;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'account-api-signals-'));
  port = await freePort();
  pgPort = await freePort();
  env = {
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    EMBEDDED_PG_PORT: String(pgPort),
    SCRYPT_LOG_N: '4',
    HOME: process.env['HOME'] ?? os.homedir(),
  };
});

afterAll(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

/** `npm start` as a supervisor runs it, in a process group of its own (built already: pretest). */
async function npmStart(): Promise<NpmStart> {
  const npm = spawn('npm', ['start', '--ignore-scripts', '--silent'], {
    cwd: ROOT,
    env: childEnv(env),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  npm.stdout.on('data', collect);
  npm.stderr.on('data', collect);
  const exited = new Promise<number | string>((resolve) =>
    npm.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const served = await Promise.race([
    new Promise<string>((resolve) => {
      const check = () => {
        const line = output.split('\n').find((l) => l.includes('GraphQL served at'));
        if (line) resolve(line);
        else setTimeout(check, 50);
      };
      check();
    }),
    exited.then(() => undefined),
  ]);
  if (!served) throw new Error(`npm start did not serve:\n${output}`);
  const { pid } = JSON.parse(served) as { pid: number };
  return { npm, nodePid: pid, exited, output: () => output };
}

function postmasterPid(): number {
  return Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
}

async function signUp(): Promise<{ token: string; userId: string }> {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: SIGN_UP,
      variables: { input: { email: uniqueEmail('signal'), password: PASSWORD, name: 'S' } },
    }),
  });
  const body = (await response.json()) as {
    data: { signUp: { token: string; viewer: { id: string } } };
  };
  return { token: body.data.signUp.token, userId: body.data.signUp.viewer.id };
}

function databaseUrl(): string {
  const password = readFileSync(path.join(dataDir, 'pg-password'), 'utf8').trim();
  return `postgres://postgres:${password}@127.0.0.1:${pgPort}/account`;
}

/** A profile update held in flight by a lock on the user's row until `release()`. */
async function requestInFlight(token: string, userId: string) {
  const blocker = new pg.Client({ connectionString: databaseUrl() });
  blocker.on('error', () => undefined);
  await blocker.connect();
  await blocker.query('begin');
  await blocker.query('select 1 from users where id = $1 for update', [userId]);
  const response = fetch(`http://127.0.0.1:${port}/api/user/profile`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Finished' }),
  });
  await waitForLockWaiter(databaseUrl(), '%users%');
  return {
    response,
    async release() {
      await blocker.query('commit');
      await blocker.end();
    },
  };
}

/** Cleanup after a failure: nothing of the test's may outlive it (postgres has a group of its own). */
function killGroup(started: NpmStart): void {
  for (const [pid, signal] of [
    [-(started.npm.pid ?? 0), 'SIGKILL'],
    [postmasterPidIfAny(), 'SIGQUIT'],
  ] as const) {
    try {
      if (pid !== 0) process.kill(pid, signal);
    } catch {
      // gone already
    }
  }
}

function postmasterPidIfAny(): number {
  try {
    return postmasterPid();
  } catch {
    return 0;
  }
}

type Target = 'npm' | 'node' | 'group';

function send(started: NpmStart, target: Target, signal: NodeJS.Signals): void {
  const pid = started.npm.pid ?? 0;
  if (target === 'npm') process.kill(pid, signal);
  else if (target === 'node') process.kill(started.nodePid, signal);
  else process.kill(-pid, signal);
}

async function expectCleanStop(
  started: NpmStart,
  postgres: number,
  inFlight: Awaited<ReturnType<typeof requestInFlight>>,
) {
  // Still draining: the request holds it open.
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(isAlive(started.nodePid)).toBe(true);
  await inFlight.release();
  const response = await inFlight.response;
  expect(response.status).toBe(200);
  expect(await started.exited).toBe(0);
  expect(isAlive(started.nodePid)).toBe(false);
  expect(isAlive(postgres)).toBe(false);
}

describe('npm start stops cleanly whatever the supervisor signals', () => {
  it.each<[Target, NodeJS.Signals]>([
    ['npm', 'SIGTERM'],
    ['npm', 'SIGINT'],
    ['node', 'SIGTERM'],
    ['node', 'SIGINT'],
    ['group', 'SIGTERM'],
    ['group', 'SIGINT'],
  ])(
    '%s gets %s: the request in flight answers 200, exit 0, no node or postgres left',
    async (target, signal) => {
      const started = await npmStart();
      try {
        const postgres = postmasterPid();
        const { token, userId } = await signUp();
        const inFlight = await requestInFlight(token, userId);
        send(started, target, signal);
        await expectCleanStop(started, postgres, inFlight);
      } finally {
        killGroup(started);
      }
    },
  );

  it('a repeated signal during the shutdown does not skip the drain or the database stop', async () => {
    const started = await npmStart();
    try {
      const postgres = postmasterPid();
      const { token, userId } = await signUp();
      const inFlight = await requestInFlight(token, userId);
      send(started, 'group', 'SIGINT');
      send(started, 'group', 'SIGINT');
      send(started, 'node', 'SIGTERM');
      send(started, 'npm', 'SIGTERM');
      await expectCleanStop(started, postgres, inFlight);
      expect(started.output()).toContain('already shutting down');
    } finally {
      killGroup(started);
    }
  });

  it('a postgres orphaned by a SIGKILL of node is stopped by the next start', async () => {
    const first = await npmStart();
    const orphan = postmasterPid();
    process.kill(first.nodePid, 'SIGKILL');
    await first.exited;
    // Its own process group: the postmaster outlives a node killed outright.
    expect(isAlive(orphan)).toBe(true);

    const second = await npmStart();
    try {
      expect(isAlive(orphan)).toBe(false);
      const restarted = postmasterPid();
      expect(restarted).not.toBe(orphan);
      expect((await signUp()).token).toMatch(/^acct_live_/);
      send(second, 'npm', 'SIGTERM');
      expect(await second.exited).toBe(0);
      expect(isAlive(restarted)).toBe(false);
    } finally {
      killGroup(second);
      if (isAlive(orphan)) process.kill(orphan, 'SIGQUIT');
    }
  });
});
