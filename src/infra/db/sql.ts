/**
 * The one door to the SQL layer under the ORM: the only file of the service
 * that imports `pg` or reaches into MikroORM's internals (its knex client,
 * driver and result mapper). Everything else talks to the database through
 * MikroORM's public API (the EntityManager) or through what this file
 * exports. ESLint keeps it so (`no-restricted-imports`, eslint.config.mjs).
 */
import {
  ReferenceKind,
  type EntityClass,
  type EntityData,
  type EntityKey,
  type EntityMetadata,
  type MikroORM,
} from '@mikro-orm/postgresql';
import pg from 'pg';

interface PooledClient {
  query<Row>(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: Row[] }>;
}

interface KnexClient {
  acquireConnection(): Promise<PooledClient>;
  releaseConnection(connection: PooledClient): Promise<void>;
}

/**
 * Named prepared statements on MikroORM's own connection pool, for the
 * statements on most requests' paths (authentication, the viewer's reads,
 * activity pings, token use). MikroORM inlines values into its SQL, so
 * PostgreSQL parses and plans each of its queries anew; a named statement is
 * planned once per connection and reused.
 */
export class PreparedStatements {
  private readonly client: KnexClient;

  constructor(private readonly orm: MikroORM) {
    this.client = orm.em.getConnection().getKnex().client as KnexClient;
  }

  /** The table and columns of `entity`, for writing a statement. */
  columns<T extends object>(entity: EntityClass<T>): EntityColumns<T> {
    return new EntityColumns(this.orm, entity);
  }

  /**
   * Runs a named statement. Failures are converted as MikroORM converts its
   * own (a refused connection is a ConnectionException, and so on), so that
   * callers and the error formatting see one kind of error.
   */
  async query<Row>(name: string, text: string, values: unknown[]): Promise<Row[]> {
    let connection: PooledClient | undefined;
    try {
      connection = await this.client.acquireConnection();
      return (await connection.query<Row>({ name, text, values })).rows;
    } catch (error) {
      throw this.orm.em.getDriver().convertException(asError(error));
    } finally {
      if (connection) await this.client.releaseConnection(connection);
    }
  }
}

/** Drivers sometimes reject with objects that are not (this realm's) Errors. */
function asError(value: unknown): Error {
  if (value instanceof Error) return value;
  const { message, code } = (value ?? {}) as { message?: unknown; code?: unknown };
  return Object.assign(new Error(typeof message === 'string' ? message : 'database error'), {
    ...(typeof code === 'string' ? { code } : {}),
  });
}

/** What rate-limiter-flexible's PostgreSQL store is given to reach the database. */
export interface RateLimitStore {
  storeClient: unknown;
  storeType: 'knex';
}

/** The rate-limit store on MikroORM's own connection pool. */
export function rateLimitStore(orm: MikroORM): RateLimitStore {
  return { storeClient: orm.em.getConnection().getKnex(), storeType: 'knex' };
}

/** Runs a statement on a session of `withSession`. */
export type SessionQuery = <Row = Record<string, unknown>>(
  text: string,
  values?: unknown[],
) => Promise<Row[]>;

/**
 * A connection of its own, outside the pool, for as long as `work` runs: for
 * what needs one session throughout (an advisory lock held while migrating,
 * creating a database). The connection is closed afterwards, which also
 * ends whatever the session held.
 */
export async function withSession<T>(
  url: string,
  connectTimeoutMs: number,
  work: (query: SessionQuery) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: connectTimeoutMs,
  });
  await client.connect();
  try {
    return await work(async <Row>(text: string, values: unknown[] = []) => {
      const result = await client.query<Row & pg.QueryResultRow>(text, values);
      return result.rows;
    });
  } finally {
    await client.end();
  }
}

/** An SQL identifier, quoted (`"name"`). */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * An entity's table and columns as MikroORM's metadata names them, for the
 * hand-written statements: they name nothing by hand, so a renamed column or
 * table reaches them through the entity. Identifiers come quoted.
 */
export class EntityColumns<T extends object> {
  /** The quoted table name. */
  readonly table: string;
  private readonly meta: EntityMetadata<T>;

  constructor(
    private readonly orm: MikroORM,
    entity: EntityClass<T>,
  ) {
    this.meta = orm.getMetadata().get<T>(entity.name);
    this.table = quoteIdentifier(this.meta.tableName);
  }

  /** The quoted column of a property (a relation's: its foreign key). */
  column(property: EntityKey<T>): string {
    const field = this.meta.properties[property].fieldNames[0];
    if (field === undefined) throw new Error(`${this.meta.className}.${property} has no column`);
    return quoteIdentifier(field);
  }

  /** The columns MikroORM loads eagerly (not lazy ones such as a password hash), each as `alias.column`. */
  eager(alias: string): string[] {
    return this.meta.props
      .filter((prop) => prop.kind === ReferenceKind.SCALAR && !prop.lazy && prop.persist !== false)
      .flatMap((prop) => prop.fieldNames.map((field) => `${alias}.${quoteIdentifier(field)}`));
  }

  /** A row of `eager` columns as the entity's properties, as MikroORM maps them. */
  map(row: Record<string, unknown>): T {
    return this.orm.em.getDriver().mapResult(row as EntityData<T>, this.meta) as T;
  }

  /**
   * `'property', alias.column` pairs of `properties`, for `json_build_object`:
   * rows of several tables as JSON, aggregated in one statement. Bytes travel
   * as base64 (JSON has no bytes); `fromJson` reads them back.
   */
  jsonPairs(alias: string, properties: readonly EntityKey<T>[]): string {
    return properties
      .map((property) => {
        const column = `${alias}.${this.column(property)}`;
        const value = this.isBytes(property) ? `encode(${column}, 'base64')` : column;
        return `'${property}', ${value}`;
      })
      .join(', ');
  }

  /** An object `jsonPairs` built, with timestamps and bytes back in their own types. */
  fromJson<K extends EntityKey<T>>(
    value: Record<string, unknown>,
    properties: readonly K[],
  ): Pick<T, K> {
    const out: Record<string, unknown> = {};
    for (const property of properties) {
      const raw = value[property];
      const type = this.meta.properties[property].runtimeType;
      out[property] =
        raw === null || typeof raw !== 'string'
          ? raw
          : type === 'Date'
            ? new Date(raw)
            : this.isBytes(property)
              ? Buffer.from(raw, 'base64')
              : raw;
    }
    return out as Pick<T, K>;
  }

  private isBytes(property: EntityKey<T>): boolean {
    return this.meta.properties[property].runtimeType === 'Buffer';
  }
}
