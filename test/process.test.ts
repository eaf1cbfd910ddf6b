import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../scripts/free-port';
import { CREATE_TOKEN, PASSWORD, SIGN_UP, uniqueEmail } from './helpers/factories';
import { waitForLockWaiter } from './helpers/locks';
import { isAlive, MAIN, startServerProcess } from './helpers/process';
import { spawnSync } from 'node:child_process';
import pg from 'pg';

/*
 * What `npm start` does, end to end: no DATABASE_URL, so the server starts its
 * own PostgreSQL under DATA_DIR; the data survives a restart; SIGTERM and
 * SIGINT stop everything and exit 0.
 */

jest.setTimeout(120_000);

async function post(port: number, query: string, variables: Record<string, unknown>) {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: Record<string, unknown> | null; errors?: unknown[] };
}

function postmasterPid(dataDir: string): number {
  return Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
}

describe('the server process with the embedded database', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'account-api-start-'));
  });
  afterAll(async () => {
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('serves, stops cleanly on SIGTERM and SIGINT, and keeps its data across restarts', async () => {
    const port = await freePort();
    const metricsPort = await freePort();
    const env = {
      METRICS_PORT: String(metricsPort),
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(await freePort()),
      SCRYPT_LOG_N: '4',
    };

    const first = await startServerProcess(env);
    expect(first.output()).toContain(`GraphQL served at http://127.0.0.1:${port}/graphql`);
    expect(first.output()).toContain(`"node":"${process.version}"`);
    // METRICS_PORT: Prometheus metrics on a listener of their own.
    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('http_requests_total');
    const email = uniqueEmail('restart');
    const signedUp = await post(port, SIGN_UP, {
      input: { email, password: PASSWORD, name: 'Kept' },
    });
    expect(signedUp.errors).toBeUndefined();
    const postgres = postmasterPid(dataDir);
    expect(isAlive(postgres)).toBe(true);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(isAlive(postgres)).toBe(false);

    const second = await startServerProcess(env);
    const signedIn = await post(port, CREATE_TOKEN, { input: { email, password: PASSWORD } });
    expect(signedIn.errors).toBeUndefined();
    const restarted = postmasterPid(dataDir);

    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    expect(isAlive(restarted)).toBe(false);
  });
});

describe('graceful shutdown', () => {
  it('lets a request in flight at SIGTERM finish with 200, then exits 0 leaving no postgres', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'account-api-drain-'));
    const port = await freePort();
    const pgPort = await freePort();
    const server = await startServerProcess({
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(pgPort),
      SCRYPT_LOG_N: '4',
    });
    const databaseUrl = `postgres://postgres:${readFileSync(path.join(dataDir, 'pg-password'), 'utf8').trim()}@127.0.0.1:${pgPort}/account`;
    const blocker = new pg.Client({ connectionString: databaseUrl });
    try {
      const signedUp = await post(port, SIGN_UP, {
        input: { email: uniqueEmail('drain'), password: PASSWORD, name: 'D' },
      });
      const { token, viewer } = (
        signedUp.data as { signUp: { token: string; viewer: { id: string } } }
      ).signUp;
      const postgres = postmasterPid(dataDir);

      // Hold the user's row so the request below stays in flight until released.
      blocker.on('error', () => undefined); // the server's shutdown ends this session
      await blocker.connect();
      await blocker.query('begin');
      await blocker.query('select 1 from users where id = $1 for update', [viewer.id]);
      const inFlight = fetch(`http://127.0.0.1:${port}/api/user/profile`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Finished' }),
      });
      await waitForLockWaiter(databaseUrl, '%users%');

      server.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(server.child.exitCode).toBeNull(); // still draining
      await blocker.query('commit');

      const response = await inFlight;
      expect(response.status).toBe(200);
      expect(((await response.json()) as { name: string }).name).toBe('Finished');
      const started = Date.now();
      expect(await server.exited).toBe(0);
      expect(Date.now() - started).toBeLessThan(5_000); // not held open by keep-alive
      expect(isAlive(postgres)).toBe(false);
    } finally {
      await blocker.end().catch(() => undefined);
      server.child.kill('SIGKILL');
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('invalid configuration', () => {
  it.each([
    ['PORT', 'abc', /PORT must be an integer from 0 to 65535/],
    ['METRICS_PORT', '70000', /METRICS_PORT must be an integer from 0 to 65535/],
    [
      'DATABASE_PREPARED_STATEMENTS',
      'maybe',
      /DATABASE_PREPARED_STATEMENTS must be named or unnamed/,
    ],
    ['DATABASE_DIRECT_URL', 'mysql://x', /DATABASE_DIRECT_URL must be a postgres/],
    ['NODE_ENV', 'staging', /NODE_ENV must be one of/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL must be a postgres/],
    ['SCRYPT_LOG_N', '12', /SCRYPT_LOG_N must be at least 14 in production/],
    ['HEAP_GROWING_PERCENT', '1000', /HEAP_GROWING_PERCENT must be an integer from 0 to 300/],
    ['GRAPHQL_COMPILE_ON', '-1', /GRAPHQL_COMPILE_ON must be an integer from 0 to 1000/],
    [
      'DATABASE_CONNECT_TIMEOUT_MS',
      '0',
      /DATABASE_CONNECT_TIMEOUT_MS must be an integer from 100 to 120000/,
    ],
  ])('stops the process with a one-line explanation (%s=%s)', (name, value, message) => {
    const env: Record<string, string> = { PATH: process.env['PATH'] ?? '', [name]: value };
    if (name === 'SCRYPT_LOG_N') env['NODE_ENV'] = 'production';
    const result = spawnSync(process.execPath, [MAIN], { env, encoding: 'utf8', timeout: 60_000 });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Invalid configuration: /);
    expect(lines[0]).toMatch(message);
  });
});
