import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../scripts/free-port';
import { CREATE_TOKEN, PASSWORD, SIGN_UP, uniqueEmail } from './helpers/factories';
import { isAlive, MAIN, startServerProcess } from './helpers/process';
import { spawnSync } from 'node:child_process';

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
    const env = {
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(await freePort()),
      SCRYPT_LOG_N: '4',
    };

    const first = await startServerProcess(env);
    expect(first.output()).toContain(`GraphQL served at http://127.0.0.1:${port}/graphql`);
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

describe('invalid configuration', () => {
  it.each([
    ['PORT', 'abc', /PORT must be an integer from 0 to 65535/],
    ['NODE_ENV', 'staging', /NODE_ENV must be one of/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL must be a postgres/],
    ['SCRYPT_LOG_N', '12', /SCRYPT_LOG_N must be at least 14 in production/],
  ])('stops the process with a one-line explanation (%s=%s)', (name, value, message) => {
    const env: Record<string, string> = { PATH: process.env['PATH'] ?? '', [name]: value };
    if (name === 'SCRYPT_LOG_N') env['NODE_ENV'] = 'production';
    const result = spawnSync(process.execPath, [MAIN], { env, encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Invalid configuration: /);
    expect(lines[0]).toMatch(message);
  });
});
