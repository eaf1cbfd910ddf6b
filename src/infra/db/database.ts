import { MikroORM, type EntityClass } from '@mikro-orm/postgresql';
import type { Logger } from '../logger';
import type { EmbeddedDatabase } from './embedded-postgres';
import { DEFAULT_CONNECT_TIMEOUT_MS, ormConfig } from './orm-config';
import { withSession, type PreparedStatementMode } from './sql';

export const EMBEDDED_DATABASE_NAME = 'account';
/** Key of the advisory lock that serialises migrations across instances. */
const MIGRATION_LOCK_KEY = 4_242_017;

export interface Database {
  orm: MikroORM;
  /** The connection URL (the embedded one's when embedded): for what opens its own pool (jobs). */
  url: string;
  /** Present when this process started its own embedded PostgreSQL. */
  embedded: EmbeddedDatabase | undefined;
  close(): Promise<void>;
}

/** Where the database is, and how to connect (the configuration's own fields). */
export interface DatabaseOptions {
  /** Absent: start the embedded PostgreSQL kept under `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPgPort: number;
  db: {
    poolMax: number;
    connectTimeoutMs: number;
    queryTimeoutMs: number;
    /** Straight to PostgreSQL, for the migration lock, when databaseUrl is a pooler. */
    directUrl?: string | undefined;
    preparedStatements?: PreparedStatementMode;
  };
}

/**
 * Connects to DATABASE_URL, or starts the embedded PostgreSQL under DATA_DIR
 * when there is none, and applies pending migrations.
 */
export async function openDatabase(
  config: DatabaseOptions,
  logger: Logger,
  options: {
    /** Every entity (src/entities.ts). */
    entities: readonly EntityClass<object>[];
    /** Connect to the embedded cluster if a server already runs it (operator commands). */
    reuseRunningEmbedded?: boolean;
  },
): Promise<Database> {
  let embedded: EmbeddedDatabase | undefined;
  let url = config.databaseUrl;
  if (!url) {
    const pgLog = logger.child({ component: 'postgres' });
    // Loaded only when needed: a server with DATABASE_URL never starts one.
    const { startEmbeddedPostgres } = await import('./embedded-postgres.js');
    const started = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      port: config.embeddedPgPort,
      onLog: (line) => pgLog.debug(line),
      reuseRunning: options.reuseRunningEmbedded ?? false,
    });
    embedded = started;
    await started.createDatabase(EMBEDDED_DATABASE_NAME).catch(async (error: unknown) => {
      await started.stop();
      throw error;
    });
    url = started.urlFor(EMBEDDED_DATABASE_NAME);
    logger.info(
      { dataDir: config.dataDir, cluster: started.clusterDir, port: config.embeddedPgPort },
      `embedded PostgreSQL started (cluster in ${started.clusterDir})`,
    );
  }
  let orm: MikroORM | undefined;
  try {
    orm = await MikroORM.init(
      ormConfig({
        clientUrl: url,
        entities: options.entities,
        poolMax: config.db.poolMax,
        connectTimeoutMs: config.db.connectTimeoutMs,
        queryTimeoutMs: config.db.queryTimeoutMs,
        log: logger,
        preparedStatements: config.db.preparedStatements ?? 'named',
      }),
    );
    const applied = await migrate(orm, config.db.directUrl ?? url, config.db.connectTimeoutMs);
    if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
  } catch (error) {
    await orm?.close(true);
    await embedded?.stop();
    throw error;
  }
  const opened = orm;
  return {
    orm: opened,
    url,
    embedded,
    async close() {
      await opened.close(true);
      await embedded?.stop();
    },
  };
}

/**
 * Applies pending migrations under a PostgreSQL advisory lock, so instances
 * starting together against one database migrate it once, one at a time.
 *
 * The lock is a transaction's (`pg_advisory_xact_lock`), held by a
 * transaction left open on a connection of its own (`lockUrl`:
 * DATABASE_DIRECT_URL when set) while the migrations run on the ORM's pool.
 * A session lock taken through a transaction-mode pooler would stay with
 * the server connection it landed on after this client left; a
 * transaction's lock cannot outlive it, through a pooler or not. The
 * statement and idle timeouts the role carries (see the role_timeouts
 * migration) are lifted for this transaction only: it waits for another
 * instance's migrations, and then sits idle while its own run.
 */
export async function migrate(
  orm: MikroORM,
  lockUrl: string,
  connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS,
): Promise<string[]> {
  return withSession(lockUrl, connectTimeoutMs, async (query) => {
    await query('begin');
    try {
      await query("select set_config('statement_timeout', '0', true)");
      await query("select set_config('idle_in_transaction_session_timeout', '0', true)");
      await query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const applied = await orm.migrator.up();
      return applied.map((migration) => migration.name);
    } finally {
      await query('rollback').catch(() => undefined);
    }
  });
}
