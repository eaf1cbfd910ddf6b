import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../../scripts/free-port';

/**
 * PgBouncer (Debian 12's 1.18; `.ci/run` installs it) in transaction mode,
 * on a free port in front of a PostgreSQL, as production runs it. Clients
 * log in with their real password: the auth_file holds the roles' SCRAM
 * secrets read from pg_authid (PgBouncer then logs in to PostgreSQL with the
 * client's SCRAM keys). As root it drops to the `postgres` user (`-u`), as
 * the Debian unit does; pgbouncer refuses to run as root.
 */
export interface PgBouncer {
  port: number;
  /** The same URL with PgBouncer's host and port. */
  through(url: string): string;
  log(): Promise<string>;
  stop(): Promise<void>;
}

export function pgbouncerBinary(): string {
  for (const candidate of ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer']) {
    if (spawnSync(candidate, ['--version']).status === 0) return candidate;
  }
  const found = spawnSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' });
  if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  throw new Error(
    'pgbouncer is not installed: the PgBouncer suite needs it (apt-get install -y pgbouncer; .ci/run installs it)',
  );
}

const quote = (text: string) => `"${text.replace(/"/g, '""')}"`;

/**
 * Starts PgBouncer in front of the server `url` names; `url`'s role must be a
 * superuser (to read pg_authid), as the embedded PostgreSQL's `postgres` is.
 */
export async function startPgBouncer(
  url: string,
  settings: Record<string, string | number> = {},
): Promise<PgBouncer> {
  const binary = pgbouncerBinary();
  const target = new URL(url);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  let secrets: { rolname: string; rolpassword: string }[];
  try {
    ({ rows: secrets } = await admin.query<{ rolname: string; rolpassword: string }>(
      'select rolname, rolpassword from pg_authid where rolname = $1',
      [decodeURIComponent(target.username)],
    ));
  } finally {
    await admin.end();
  }
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'account-api-pgbouncer-'));
  const port = await freePort();
  const ini: Record<string, string | number> = {
    listen_addr: '127.0.0.1',
    listen_port: port,
    unix_socket_dir: '', // off: the default would leave a socket file in /tmp
    auth_type: 'scram-sha-256',
    auth_file: path.join(dir, 'userlist.txt'),
    pool_mode: 'transaction',
    logfile: path.join(dir, 'pgbouncer.log'),
    pidfile: path.join(dir, 'pgbouncer.pid'),
    max_client_conn: 200,
    default_pool_size: 8,
    // Refuse what node-postgres might send rather than drop it silently.
    ignore_startup_parameters: '',
    server_login_retry: 1,
    query_wait_timeout: 10,
    ...settings,
  };
  await fs.writeFile(
    path.join(dir, 'pgbouncer.ini'),
    `[databases]\n* = host=${target.hostname} port=${target.port}\n\n[pgbouncer]\n${Object.entries(
      ini,
    )
      .map(([name, value]) => `${name} = ${value}`)
      .join('\n')}\n`,
    { mode: 0o600 },
  );
  await fs.writeFile(
    path.join(dir, 'userlist.txt'),
    secrets.map((s) => `${quote(s.rolname)} ${quote(s.rolpassword)}\n`).join(''),
    { mode: 0o600 },
  );
  const args: string[] = [];
  if (process.getuid?.() === 0) {
    // The log and pid files are opened after the switch to `postgres`.
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout);
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout);
    for (const file of ['', 'pgbouncer.ini', 'userlist.txt']) {
      await fs.chown(path.join(dir, file), uid, gid);
    }
    args.push('-u', 'postgres');
  }
  args.push(path.join(dir, 'pgbouncer.ini'));
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  child.on('error', (error) => {
    output += error.message;
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const log = () => fs.readFile(path.join(dir, 'pgbouncer.log'), 'utf8').catch(() => '');

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `pgbouncer exited: ${(output + (await log())).trim().split('\n').slice(-3).join(' | ')}`,
      );
    }
    if (await accepts(port)) break;
    if (Date.now() > deadline) throw new Error('pgbouncer did not listen within 20 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    through(other: string) {
      const via = new URL(other);
      via.hostname = '127.0.0.1';
      via.port = String(port);
      return via.toString();
    },
    log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM'); // immediate shutdown: the tests are done with it
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}
