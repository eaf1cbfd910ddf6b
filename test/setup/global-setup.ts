/**
 * Starts one real PostgreSQL for the whole run (embedded, in a temporary
 * folder) with one empty database per jest worker, so test files running in
 * parallel never share rows by accident and never race on migrations. Each
 * test server migrates its worker's database on start, as `npm start` does.
 *
 * Nothing here loads MikroORM: global setup runs in jest's parent process, and
 * MikroORM's global metadata storage must only ever live in the test sandbox.
 */
import { randomBytes } from 'node:crypto';
import { startTempPostgres, type TempPostgres } from '../../scripts/temp-postgres';

declare global {
  var __TEST_POSTGRES__: TempPostgres | undefined;
}

export default async function globalSetup(config: { maxWorkers: number }): Promise<void> {
  const pg = await startTempPostgres();
  globalThis.__TEST_POSTGRES__ = pg;
  for (let worker = 1; worker <= Math.max(1, config.maxWorkers); worker++) {
    await pg.database.createDatabase(`account_test_${worker}`);
  }
  // Workers are forked after global setup and inherit this environment.
  process.env['TEST_POSTGRES_URL'] = pg.database.urlFor('account_test_{worker}');
  process.env['TEST_MASTER_KEYS'] =
    `test-${Date.now().toString(36)}:${randomBytes(32).toString('base64')}`;
}
