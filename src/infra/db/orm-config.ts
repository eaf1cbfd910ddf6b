import path from 'node:path';
import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, type EntityClass, type Options } from '@mikro-orm/postgresql';
import type { Log } from '../logger';

/** How long to wait for a database connection unless DATABASE_CONNECT_TIMEOUT_MS says otherwise. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;

export interface OrmConfigOptions {
  clientUrl: string;
  /** Every entity, listed explicitly (src/entities.ts): no folder scanning at start-up. */
  entities: readonly EntityClass<object>[];
  poolMax?: number;
  /** How long to wait for a connection to open, or for a free one. */
  connectTimeoutMs?: number;
  /** Write `.snapshot.json` next to the migrations (the CLI only). */
  snapshot?: boolean;
  /** Where the query builder's own warnings go (default: the console). */
  log?: Log;
}

/**
 * One MikroORM configuration for the server, the tests and the CLI. Migrations
 * are read from the folder beside this file: TypeScript under jest, compiled
 * JavaScript under `dist/`; the CLI writes new ones to `src/infra/db/migrations`.
 */
export function ormConfig(options: OrmConfigOptions): Options {
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return defineConfig({
    clientUrl: options.clientUrl,
    entities: [...options.entities],
    discovery: { warnWhenNoEntities: true, requireEntitiesArray: true },
    extensions: [Migrator],
    preferTs: false,
    // MikroORM loads migrations with a native `import()`, which jest's module
    // sandbox cannot run; `require` works under jest (TypeScript) and node (dist).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    dynamicImportProvider: (id: string) => Promise.resolve(require(id) as unknown),
    forceUtcTimezone: true,
    allowGlobalContext: false,
    // Fail fast when the database is unreachable instead of queueing forever.
    // An acquire may have to open the connection, so it waits as long as that.
    pool: { min: 0, max: options.poolMax ?? 10, acquireTimeoutMillis: connectTimeoutMs },
    driverOptions: {
      ...(options.log ? { log: knexLog(options.log) } : {}),
      connection: {
        connectionTimeoutMillis: connectTimeoutMs,
        statement_timeout: 10_000,
        idle_in_transaction_session_timeout: 30_000,
        application_name: 'account-api',
      },
    },
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: path.join(__dirname, 'migrations'),
      pathTs: 'src/infra/db/migrations',
      glob: '!(*.d).{js,ts}',
      emit: 'ts',
      transactional: true,
      allOrNothing: true,
      snapshot: options.snapshot ?? false,
      snapshotName: '.snapshot',
      silent: true,
    },
  });
}

/** knex's logger (it reports discarded broken connections) as structured log lines. */
function knexLog(log: Log) {
  const line = (level: 'warn' | 'error' | 'debug') => (message: unknown) => {
    log[level]({ component: 'knex' }, typeof message === 'string' ? message : 'knex event');
  };
  return {
    warn: line('warn'),
    error: line('error'),
    deprecate: line('warn'),
    debug: line('debug'),
  };
}
