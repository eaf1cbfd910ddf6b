/**
 * Migration drift check: applies every committed migration to a fresh
 * PostgreSQL and fails when the entities describe a different schema.
 */
import { MikroORM } from '@mikro-orm/postgresql';
import { migrate } from '../src/infra/db/database';
import { entities } from '../src/entities';
import { ormConfig } from '../src/infra/db/orm-config';
import { startTempPostgres } from './temp-postgres';

async function main(): Promise<number> {
  const pg = await startTempPostgres();
  const orm = await MikroORM.init(ormConfig({ clientUrl: pg.url, entities }));
  try {
    await migrate(orm, pg.url);
    const pending = await orm.schema.getUpdateSchemaSQL({ wrap: false });
    if (pending.trim() !== '') {
      process.stderr.write(
        `Migration drift: the entities need SQL that no migration contains:\n${pending}\n` +
          'Create a migration: npm run migration:create -- --name <what-it-does>\n',
      );
      return 1;
    }
    process.stdout.write('Migrations match the entities.\n');
    return 0;
  } finally {
    await orm.close(true);
    await pg.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`check-migrations failed: ${String(error)}\n`);
    process.exit(1);
  },
);
