/**
 * Configuration for the MikroORM CLI (`npx mikro-orm …`, run from the compiled
 * `dist/`). It needs DATABASE_URL; `npm run migration:create` and
 * `npm run check:migrations` provide one from a throwaway embedded PostgreSQL.
 */
import { loadConfig } from './src/config';
import { entities } from './src/entities';
import { ormConfig } from './src/infra/db/orm-config';

const config = loadConfig();
if (!config.databaseUrl) {
  throw new Error('DATABASE_URL is required for the MikroORM CLI (see README, "Migrations")');
}

export default ormConfig({ clientUrl: config.databaseUrl, entities, snapshot: true });
