import pg from 'pg';

/**
 * Waits until a session of `databaseUrl` waits on a lock while running a
 * statement that matches `statement` (an ILIKE pattern), and returns its pid.
 * Watches from a connection of its own, outside any transaction: inside one,
 * PostgreSQL answers pg_stat_activity from the snapshot of its first read, so
 * a session that starts waiting later would never be seen.
 *
 * Gives up when `gaveUp()` says so (say, the request it waits for already
 * answered) or after `timeoutMs`, and throws saying which.
 */
export async function waitForLockWaiter(
  databaseUrl: string,
  statement: string,
  options: { timeoutMs?: number; gaveUp?: () => string | undefined } = {},
): Promise<number> {
  const watcher = new pg.Client({ connectionString: databaseUrl });
  watcher.on('error', () => undefined); // surfaces through its queries
  await watcher.connect();
  try {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    for (;;) {
      const { rows } = await watcher.query<{ pid: number }>(
        `select pid from pg_stat_activity
          where wait_event_type = 'Lock' and query ilike $1 and pid <> pg_backend_pid()`,
        [statement],
      );
      if (rows[0]) return rows[0].pid;
      const reason = options.gaveUp?.();
      if (reason) throw new Error(`no session waited on a lock for "${statement}": ${reason}`);
      if (Date.now() > deadline) {
        throw new Error(`no session waited on a lock for "${statement}" in time`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await watcher.end().catch(() => undefined);
  }
}
