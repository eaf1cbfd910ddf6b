/**
 * `npm run migration:create -- --name <what-it-does>`: runs the MikroORM CLI's
 * `migration:create` against a throwaway PostgreSQL on which every committed
 * migration has been applied, so the new migration holds exactly the change.
 */
import { spawnSync } from 'node:child_process';
import { MikroORM } from '@mikro-orm/postgresql';
import { migrate } from '../src/infra/db/database';
import { entities } from '../src/entities';
import { ormConfig } from '../src/infra/db/orm-config';
import { startTempPostgres } from './temp-postgres';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const name = /--name[= ]?([^ ]*)/.exec(args.join(' '))?.[1]?.trim() ?? '';
  // The name becomes part of a class name: letters, digits and underscores only.
  if (!/^[a-z][a-z0-9_]*$/.test(name)) {
    process.stderr.write(
      'Usage: npm run migration:create -- --name <what_it_does> (lower case, digits, underscores)\n',
    );
    return 2;
  }
  const pg = await startTempPostgres();
  try {
    const orm = await MikroORM.init(ormConfig({ clientUrl: pg.url, entities }));
    await migrate(orm, pg.url);
    await orm.close(true);
    // --blank: for what the entities cannot describe (triggers); write it by hand.
    const blank = args.includes('--blank') ? ['--blank'] : [];
    const cli = spawnSync('npx', ['mikro-orm', 'migration:create', `--name=${name}`, ...blank], {
      stdio: 'inherit',
      env: { ...process.env, DATABASE_URL: pg.url },
    });
    return cli.status ?? 1;
  } finally {
    await pg.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`migration:create failed: ${String(error)}\n`);
    process.exit(1);
  },
);
