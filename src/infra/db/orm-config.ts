import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger as OrmLogger, LoggerNamespace } from '@mikro-orm/core';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, type EntityClass, type Options } from '@mikro-orm/postgresql';
import type { Log } from '../logger';
import { boundPostgreSqlDriver, TCP_KEEPALIVE, type PreparedStatementMode } from './sql';

/** How long to wait for a database connection unless DATABASE_CONNECT_TIMEOUT_MS says otherwise. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;
/**
 * How long a statement may go unanswered unless DATABASE_QUERY_TIMEOUT_MS
 * says otherwise: shorter than the server's statement_timeout (10 s), so a
 * frozen server and a long lock wait both end here first, as 503.
 */
export const DEFAULT_QUERY_TIMEOUT_MS = 5_000;

export interface OrmConfigOptions {
  clientUrl: string;
  /** Every entity, listed explicitly (src/entities.ts): no folder scanning at start-up. */
  entities: readonly EntityClass<object>[];
  poolMax?: number;
  /** How long to wait for a connection to open, or for a free one. */
  connectTimeoutMs?: number;
  /** How long one statement may go unanswered (client-side) before its connection is closed. */
  queryTimeoutMs?: number;
  /** Write `.snapshot.json` next to the migrations (the CLI only). */
  snapshot?: boolean;
  /** Where the ORM's own warnings go (default: nowhere). */
  log?: Log;
  /** Whether MikroORM's statements run as named prepared statements (default: named). */
  preparedStatements?: PreparedStatementMode;
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
    // Every statement with bound parameters (src/infra/db/sql.ts).
    driver: boundPostgreSqlDriver(options.preparedStatements ?? 'named'),
    entities: [...options.entities],
    // Legacy decorators with their emitted type metadata, as type-graphql uses them.
    metadataProvider: ReflectMetadataProvider,
    discovery: { warnWhenNoEntities: true },
    extensions: [Migrator],
    preferTs: false,
    // MikroORM loads migrations with a native `import()` of a file URL, which
    // jest's module sandbox cannot run; `require` works under jest
    // (TypeScript) and node (dist).
    dynamicImportProvider: (id: string) =>
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      Promise.resolve(require(id.startsWith('file:') ? fileURLToPath(id) : id) as unknown),
    forceUtcTimezone: true,
    allowGlobalContext: false,
    loggerFactory: () => ormLogger(options.log),
    pool: { min: 0, max: options.poolMax ?? 10 },
    // node-postgres' Pool: a connection must open, or a busy pool free one,
    // within connectionTimeoutMillis; fail fast rather than queue forever.
    // No server setting goes in the startup packet: a transaction-mode pooler
    // refuses them (PgBouncer: "unsupported startup parameter"), so the
    // statement and idle-in-transaction timeouts are the role's own defaults
    // in the database (the role_timeouts migration), which PostgreSQL applies
    // to every backend, pooled or not. application_name passes PgBouncer, and
    // so do query_timeout and keepalive, which never go on the wire.
    // Every statement must be answered within query_timeout (client-side:
    // a server that stops answering without closing the connection, or a
    // lock held elsewhere, ends there; sql.ts closes such a connection).
    driverOptions: {
      connectionTimeoutMillis: connectTimeoutMs,
      query_timeout: options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS,
      ...TCP_KEEPALIVE,
      application_name: 'account-api',
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

/**
 * MikroORM's logger: its warnings and errors (a connection the server
 * dropped, a failed rollback) as structured lines; queries are never logged.
 */
function ormLogger(log: Log | undefined): OrmLogger {
  const line = (level: 'warn' | 'error') => (namespace: string, message: string) => {
    log?.[level]({ component: 'orm', namespace }, message);
  };
  return {
    log: () => undefined,
    warn: line('warn'),
    error: line('error'),
    logQuery: () => undefined,
    setDebugMode: () => undefined,
    isEnabled: (_namespace: LoggerNamespace) => false,
  };
}
