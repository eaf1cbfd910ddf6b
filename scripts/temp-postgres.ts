import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/infra/db/embedded-postgres';
import { freePort } from './free-port';

export interface TempPostgres {
  database: EmbeddedDatabase;
  /** URL of a fresh, empty database. */
  url: string;
  stop(): Promise<void>;
}

/** A throwaway PostgreSQL cluster in a temporary folder, removed on stop. */
export async function startTempPostgres(
  databaseName = 'scratch',
  settings: Readonly<Record<string, string>> = {},
  /** Each line PostgreSQL writes to its log. */
  onLog?: (line: string) => void,
): Promise<TempPostgres> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'account-api-pg-'));
  const database = await startEmbeddedPostgres({
    dataDir,
    port: await freePort(),
    settings,
    ...(onLog ? { onLog } : {}),
  });
  await database.createDatabase(databaseName);
  return {
    database,
    url: database.urlFor(databaseName),
    async stop() {
      await database.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
