/**
 * The one door to PostgreSQL, and the only file of the service that imports
 * the SQL layer under the ORM (`pg`, `kysely`) or reaches into MikroORM's
 * internals; ESLint keeps it so (`no-restricted-imports`,
 * eslint.config.mjs). Everything the service sends goes through the pool
 * and the classes made here: MikroORM's statements (finds, flushes,
 * `em.execute`, migrations, schema tools), the hand-written hot statements
 * (`PreparedStatements`, their names from the entities' metadata through
 * `EntityColumns`), the rate-limit store, and the few sessions of their own
 * (`withSession`: the migration lock, creating a database).
 *
 * Two guarantees live here and nowhere else:
 *
 * 1. **Every value is a bind parameter.** MikroORM 7 formats values into the
 *    SQL text (`Platform.formatQuery`: strings as quoted literals, dates,
 *    bytes as hex, arrays as lists) and sends the text alone. PostgreSQL then
 *    logs failing statements with those values in them (password hashes,
 *    profile text), and a NUL byte in a literal is a protocol error. The
 *    connection below turns the ORM's `?` placeholders into `$1…$n` with a
 *    value array instead, with formatQuery's own semantics otherwise.
 * 2. **Statements are prepared once per connection** where that pays: see
 *    `StatementNames` (the one switch between named and unnamed statements).
 */
import { createHash } from 'node:crypto';
import {
  isRaw,
  JsonProperty,
  NativeQueryBuilder,
  PostgreSqlConnection,
  PostgreSqlDriver,
  type PostgreSqlPlatform,
  raw,
  RawQueryFragment,
  Utils,
  ReferenceKind,
  type Configuration,
  type Dictionary,
  type EntityClass,
  type EntityManager,
  type EntityData,
  type EntityKey,
  type EntityMetadata,
  type LoggingOptions,
  type MikroORM,
  type Transaction,
} from '@mikro-orm/postgresql';
import {
  CompiledQuery,
  type AbortableQueryOptions,
  type InflightQueryAbortStrategy,
  type Kysely,
} from 'kysely';
import pg from 'pg';

export type DatabasePool = pg.Pool;

/**
 * TCP keepalive on every connection: an idle pooled connection to a host
 * that vanished (a partition, a dead machine) is dropped about 10 s + 10
 * probes of 1 s later instead of when a query finally times out. It does
 * nothing for a server that is stopped but whose kernel still answers (the
 * probes are acknowledged): the client-side query bound covers that.
 */
export const TCP_KEEPALIVE = { keepAlive: true, keepAliveInitialDelayMillis: 10_000 } as const;

/** A statement as sent: `$n` placeholders in the text, their values beside it. */
export interface BoundQuery {
  text: string;
  values: unknown[];
}

/** What binding needs of the platform: identifier quoting and MikroORM's date format. */
export interface BindingPlatform {
  quoteIdentifier(id: string): string;
  formatDate(date: Date): string;
}

/**
 * MikroORM's `formatQuery(sql, params)`, with each value sent as a bind
 * parameter instead of written into the text: `?` is a value (`$n`), `??` an
 * identifier (quoted into the text, as MikroORM does), `\?` a literal `?`;
 * with no params the text is sent as it is (migrations hold `?` and `$1` in
 * strings and function bodies). Values map as MikroORM's `quoteValue` /
 * `escape` would print them: raw fragments are spliced in with their own
 * params numbered on, plain objects become JSON text, dates MikroORM's date
 * text, arrays a list of parameters (`in (?)`), bigints decimal text, bytes
 * stay bytes (bytea); numbers, booleans and nulls are parameters too.
 */
export function bindQuery(
  platform: BindingPlatform,
  sql: string,
  params: readonly unknown[],
): BoundQuery {
  const values: unknown[] = [];
  return { text: bindInto(platform, sql, params, values), values };
}

function bindInto(
  platform: BindingPlatform,
  sql: string,
  params: readonly unknown[],
  values: unknown[],
): string {
  if (params.length === 0) return sql;
  const value = (v: unknown) => bindValue(platform, v, values);
  const identifier = (id: unknown) => {
    const fragment = RawQueryFragment.getKnownFragment(id);
    return fragment
      ? bindInto(platform, fragment.sql, fragment.params, values)
      : platform.quoteIdentifier(id as string);
  };
  // The same scan as Platform.formatQuery, quirks included, so that a text
  // means here what it means to MikroORM.
  let j = 0;
  let pos = 0;
  let ret = '';
  if (sql.startsWith('?')) {
    if (sql[1] === '?') {
      ret += identifier(params[j++]);
      pos = 2;
    } else {
      ret += value(params[j++]);
      pos = 1;
    }
  }
  while (pos < sql.length) {
    const idx = sql.indexOf('?', pos + 1);
    if (idx === -1) {
      ret += sql.substring(pos, sql.length);
      break;
    }
    if (sql.substring(idx - 1, idx + 1) === '\\?') {
      ret += sql.substring(pos, idx - 1) + '?';
      pos = idx + 1;
    } else if (sql.substring(idx, idx + 2) === '??') {
      ret += sql.substring(pos, idx) + identifier(params[j++]);
      pos = idx + 2;
    } else {
      ret += sql.substring(pos, idx) + value(params[j++]);
      pos = idx + 1;
    }
  }
  return ret;
}

/** AbstractSqlPlatform.quoteValue, binding instead of quoting. */
function bindValue(platform: BindingPlatform, value: unknown, values: unknown[]): string {
  if (isRaw(value)) return bindInto(platform, value.sql, value.params, values);
  if (
    Utils.isPlainObject(value) ||
    (value as { [JsonProperty]?: unknown } | null)?.[JsonProperty]
  ) {
    return parameter(values, JSON.stringify(value));
  }
  return bindEscaped(platform, value, values);
}

/** BasePostgreSqlPlatform.escape, binding instead of quoting. */
function bindEscaped(platform: BindingPlatform, value: unknown, values: unknown[]): string {
  if (typeof value === 'bigint') return parameter(values, value.toString());
  if (typeof value === 'string') return parameter(values, value);
  if (value instanceof Date) return parameter(values, platform.formatDate(value));
  if (ArrayBuffer.isView(value)) return parameter(values, value);
  if (Array.isArray(value)) {
    return value.map((item: unknown) => bindEscaped(platform, item, values)).join(', ');
  }
  if (value === null || value === undefined) return parameter(values, null);
  if (typeof value === 'number' || typeof value === 'boolean') return parameter(values, value);
  // MikroORM would print anything else with its string conversion.
  return parameter(values, (value as { toString(): string }).toString());
}

function parameter(values: unknown[], value: unknown): string {
  values.push(value);
  return `$${values.length}`;
}

/**
 * `named`: a statement is parsed and planned once per connection and reused
 * (PostgreSQL keeps a plan per named statement per session). `unnamed`: every
 * execution is parsed and planned anew — what a transaction-mode pooler
 * without prepared-statement support needs, since a name prepared on one
 * server connection does not exist on the next.
 */
export type PreparedStatementMode = 'named' | 'unnamed';

/** Most distinct ORM statement texts one process names. */
const MAX_NAMED_TEXTS = 200;

/**
 * Which statements run as named prepared statements: the one switch.
 *
 * MikroORM's statements are named by a hash of their text, so one text has
 * one name in every process and on every connection. Their number is bounded
 * (`in ($1, …, $n)` differs by n): the first MAX_NAMED_TEXTS texts of the
 * process get names, later ones run unnamed, which only costs them the plan
 * reuse. Hand-written statements (PreparedStatements, the rate-limit store)
 * bring their own names, fixed in code. In `unnamed` mode nothing is named.
 */
export class StatementNames {
  private readonly names = new Map<string, string>();

  constructor(
    readonly mode: PreparedStatementMode,
    private readonly maxTexts = MAX_NAMED_TEXTS,
  ) {}

  /** The name for an ORM statement's text, if it gets one. */
  forText(text: string): string | undefined {
    if (this.mode === 'unnamed') return undefined;
    let name = this.names.get(text);
    if (name === undefined && this.names.size < this.maxTexts) {
      name = `orm_${createHash('sha256').update(text).digest('base64url').slice(0, 24)}`;
      this.names.set(text, name);
    }
    return name;
  }

  /** The name a hand-written statement is sent under. */
  forFixed(name: string | undefined): string | undefined {
    return this.mode === 'unnamed' ? undefined : name;
  }

  /** How many distinct texts have names (for tests and measurement). */
  get size(): number {
    return this.names.size;
  }
}

/**
 * node-postgres' Client with the naming applied to everything that runs on
 * the pool: kysely sends MikroORM's statements as `query(text, values)`
 * (named here by their text); the hand-written statements and the rate-limit
 * store send `{name, text, values}` (names kept, or dropped when unnamed).
 * Statements without values (`begin`, `commit`, migrations) use the simple
 * protocol, as before.
 */
function namingClient(names: StatementNames): typeof pg.Client {
  class NamingClient extends pg.Client {
    /** The pool's release of the current checkout, made idempotent. */
    private releaseOnce: ((error?: Error | boolean) => void) | undefined;

    constructor(config?: string | pg.ClientConfig) {
      super(config);
      // kysely releases a transaction's connection only after its COMMIT or
      // ROLLBACK succeeds; on a connection the server dropped, both fail, and
      // the pool would wait for that connection forever (one slot lost per
      // drop, then every request waits). A dead connection goes back to the
      // pool as broken, which discards it; a later release is a no-op.
      this.once('end', () => this.releaseOnce?.(new Error('connection ended')));
    }

    // pg-pool sets `release` on each checkout; a second call would throw.
    get release(): (error?: Error | boolean) => void {
      return this.releaseOnce ?? (() => undefined);
    }

    set release(release: (error?: Error | boolean) => void) {
      let released = false;
      this.releaseOnce = (error) => {
        if (released) return;
        released = true;
        release(error);
      };
    }
  }
  // Called with the client as `this`, below.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const query = pg.Client.prototype.query as (this: pg.Client, ...args: unknown[]) => unknown;
  NamingClient.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const [config, values] = args;
    if (typeof config === 'string' && Array.isArray(values) && values.length > 0) {
      const name = names.forText(config);
      if (name !== undefined) args[0] = { name, text: config };
    } else if (isNamedConfig(config) && names.forFixed(config.name) === undefined) {
      args[0] = { ...config, name: undefined };
    } else if (isSubmittable(config)) {
      destroyOnTimeout(this, config);
    }
    const result = query.apply(this, args);
    if (result instanceof Promise) {
      // Observed only: the caller still gets the rejection.
      result.catch((error: unknown) => {
        if (isQueryTimeout(error)) destroyConnection(this);
      });
    }
    return result;
  } as pg.Client['query'];
  return NamingClient;
}

/**
 * node-postgres' own client-side bound (`query_timeout`) rejects the query
 * with this message and nothing else: it leaves the socket open and the
 * query the active one. A connection that timed out is therefore closed
 * here (see `destroyConnection`).
 */
const QUERY_TIMEOUT_MESSAGE = 'Query read timeout';

function isQueryTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === QUERY_TIMEOUT_MESSAGE;
}

/**
 * Closes the socket of a connection whose query timed out. pg 8 would keep
 * it open, still waiting for the answer, and kysely (so MikroORM) releases
 * connections to the pool without an error: the stuck connection would go
 * back as idle and every later query on it would time out too, for as long
 * as the database stays silent. Closed, it is not queryable: the pool drops
 * it on release (the NamingClient's `end` handler releases a checked-out
 * one at once), and PostgreSQL ends the backend when it next reads. The
 * statement may still complete on the server (a frozen server resumes and
 * commits an autocommit write): nothing here retries it.
 */
function destroyConnection(client: pg.Client): void {
  (
    client as unknown as { connection: { stream: { destroy(): void } } }
  ).connection.stream.destroy();
}

/** A query object node-postgres drives itself (a cursor, for `stream`). */
function isSubmittable(
  config: unknown,
): config is { handleError(error: Error, connection: unknown): void } {
  return (
    typeof config === 'object' &&
    config !== null &&
    typeof (config as { submit?: unknown }).submit === 'function' &&
    typeof (config as { handleError?: unknown }).handleError === 'function'
  );
}

/** A cursor learns of its timeout through `handleError` (it has no promise). */
function destroyOnTimeout(
  client: pg.Client,
  submittable: { handleError(error: Error, connection: unknown): void },
): void {
  const handleError = submittable.handleError.bind(submittable);
  submittable.handleError = (error, connection) => {
    handleError(error, connection);
    if (isQueryTimeout(error)) destroyConnection(client);
  };
}

function isNamedConfig(config: unknown): config is { name: string } {
  return (
    typeof config === 'object' &&
    config !== null &&
    typeof (config as { name?: unknown }).name === 'string' &&
    typeof (config as { submit?: unknown }).submit !== 'function'
  );
}

/**
 * MikroORM's PostgreSQL connection, sending every statement with bound
 * parameters (`execute`, `stream`) on a pool whose connections apply the
 * naming above.
 */
class BoundConnection extends PostgreSqlConnection {
  constructor(
    config: Configuration,
    private readonly names: StatementNames,
    options?: Dictionary,
    type?: 'read' | 'write',
  ) {
    super(config, options, type);
  }

  override createKyselyDialect(overrides: pg.PoolConfig) {
    return super.createKyselyDialect({ ...overrides, Client: namingClient(this.names) });
  }

  override async execute<T>(
    query: string | NativeQueryBuilder | RawQueryFragment,
    params: readonly unknown[] | Dictionary<unknown> = [],
    method: 'all' | 'get' | 'run' = 'all',
    ctx?: Transaction,
    loggerContext?: LoggingOptions,
  ): Promise<T> {
    await this.ensureConnection();
    const bound = this.bind(query, params);
    const { abort, context } = abortOptionsOf(loggerContext);
    // Logged (when MikroORM's query log is on) with placeholders, never values.
    return this.executeQuery(
      bound.text,
      async () => {
        const compiled = CompiledQuery.raw(bound.text, bound.values);
        const client = (ctx as Kysely<unknown> | undefined) ?? this.getClient<unknown>();
        const res: unknown = await client.executeQuery(compiled, abort);
        return this.transformRawResult<T>(res, method);
      },
      { ...context, query: bound.text },
    );
  }

  override async *stream<T extends object>(
    query: string | NativeQueryBuilder | RawQueryFragment,
    params: readonly unknown[] | Dictionary<unknown> = [],
    ctx?: Transaction,
    loggerContext?: LoggingOptions,
    chunkSize?: number,
  ): AsyncIterableIterator<T> {
    await this.ensureConnection();
    const bound = this.bind(query, params);
    const { abort, context } = abortOptionsOf(loggerContext);
    // As MikroORM builds it, with the values as parameters instead of in the text.
    const compiled = {
      query: { kind: 'SelectQueryNode' },
      sql: bound.text,
      parameters: bound.values,
    } as unknown as CompiledQuery;
    const executor = (
      (ctx as Transaction<ReturnType<typeof this.getClient>> | undefined) ?? this.getClient()
    ).getExecutor();
    try {
      const res = executor.stream(
        compiled,
        chunkSize ?? 100,
        abort ? { signal: abort.signal } : undefined,
      );
      this.logQuery(bound.text, { ...context, query: bound.text });
      for await (const items of res) {
        for (const row of this.transformRawResult<T[]>(items, 'all')) yield row;
      }
    } catch (error) {
      this.logQuery(bound.text, { ...context, query: bound.text, level: 'error' });
      throw error;
    }
  }

  /** AbstractSqlConnection.prepareQuery, binding where it would format. */
  private bind(
    query: string | NativeQueryBuilder | RawQueryFragment,
    params: readonly unknown[] | Dictionary<unknown>,
  ): BoundQuery {
    let sql: string | NativeQueryBuilder | RawQueryFragment = query;
    let values = params;
    if (sql instanceof NativeQueryBuilder) sql = sql.toRaw();
    if (typeof sql === 'string' && !Array.isArray(values)) sql = raw(sql, values);
    if (isRaw(sql)) {
      values = sql.params;
      sql = sql.sql;
    }
    const text = this.config.get('onQuery')(sql as string, values as unknown[]);
    return bindQuery(this.platform as PostgreSqlPlatform, text, values as unknown[]);
  }
}

/** Cancellation options travel in the logger context; MikroORM takes them out before logging. */
function abortOptionsOf(loggerContext: LoggingOptions | undefined): {
  abort: AbortableQueryOptions | undefined;
  context: Dictionary;
} {
  const { signal, inflightQueryAbortStrategy, ...context } = (loggerContext ??
    {}) as Dictionary<unknown> & {
    signal?: AbortSignal;
    inflightQueryAbortStrategy?: InflightQueryAbortStrategy;
  };
  if (signal == null && inflightQueryAbortStrategy == null) return { abort: undefined, context };
  return { abort: { signal, inflightQueryAbortStrategy }, context };
}

/**
 * MikroORM's PostgreSQL driver on the bound connection (`driver` in the ORM
 * config): every part of the ORM reaches the database through it.
 */
export function boundPostgreSqlDriver(mode: PreparedStatementMode): typeof PostgreSqlDriver {
  const names = new StatementNames(mode);
  return class BoundPostgreSqlDriver extends PostgreSqlDriver {
    /** Which texts are named (shared by this driver's connections). */
    static readonly statementNames = names;

    constructor(config: Configuration) {
      super(config);
      // PostgreSqlDriver makes its own connection; it is replaced before
      // anything connects (connecting is lazy), replicas too.
      const self = this as unknown as { connection: BoundConnection; replicas: BoundConnection[] };
      self.connection = new BoundConnection(config, names);
      self.replicas = this.createReplicas(
        (options) => new BoundConnection(config, names, options, 'read'),
      ) as BoundConnection[];
    }
  };
}

/** The pool MikroORM's connection runs on, for the few that need it directly. */
export function databasePool(orm: MikroORM): Promise<DatabasePool> {
  return orm.em.getConnection().getNativeClient();
}

/**
 * Named prepared statements on MikroORM's own pool, for the statements on
 * most requests' paths (authentication, viewer reads, activity, token use):
 * written by hand, one round trip each, planned once per connection.
 */
export class PreparedStatements {
  private readonly pool: Promise<DatabasePool>;

  constructor(private readonly orm: MikroORM) {
    this.pool = databasePool(orm);
    // Not awaited yet: a failure surfaces on the first query.
    this.pool.catch(() => undefined);
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
    try {
      const pool = await this.pool;
      return (await pool.query<Row & pg.QueryResultRow>({ name, text, values })).rows;
    } catch (error) {
      throw this.orm.em.getDriver().convertException(asError(error));
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
  storeClient: DatabasePool;
  storeType: 'pool';
}

/** The rate-limit store on MikroORM's own pool: it sends named statements with $n parameters. */
export async function rateLimitStore(orm: MikroORM): Promise<RateLimitStore> {
  return { storeClient: await databasePool(orm), storeType: 'pool' };
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
    // No client-side query bound: this session may wait on a lock for as
    // long as another instance migrates. A peer that vanishes is noticed.
    ...TCP_KEEPALIVE,
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
    this.meta = orm.getMetadata().get(entity);
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

/**
 * What a library that writes its own SQL (pg-boss) is given to run a
 * statement: `$n` placeholders in the text, the values beside it.
 */
export interface SqlExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/**
 * Runs statements on `em`'s open transaction (inside `em.transactional`), so
 * that what a library writes commits or rolls back with the caller's change:
 * the transactional outbox (src/infra/jobs). Values are bind parameters.
 */
export function transactionExecutor(em: EntityManager): SqlExecutor {
  // MikroORM 7's transaction context is the open Kysely transaction.
  const transaction = em.getTransactionContext<Kysely<unknown>>();
  if (!transaction || !em.isInTransaction()) {
    throw new Error('transactionExecutor needs an EntityManager inside em.transactional()');
  }
  return {
    async executeSql(text, values = []) {
      try {
        const result = await transaction.executeQuery(CompiledQuery.raw(text, values));
        return { rows: result.rows as Record<string, unknown>[] };
      } catch (error) {
        throw em.getDriver().convertException(asError(error));
      }
    },
  };
}
