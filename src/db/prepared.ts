import type { MikroORM } from '@mikro-orm/postgresql';

interface PooledClient {
  query<Row>(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: Row[] }>;
}

interface KnexClient {
  acquireConnection(): Promise<PooledClient>;
  releaseConnection(connection: PooledClient): Promise<void>;
}

/**
 * Named prepared statements on MikroORM's own connection pool, for the few
 * queries on every request's path (authentication). MikroORM inlines values
 * into its SQL, so PostgreSQL parses and plans each of its queries anew; a
 * named statement is planned once per connection and reused.
 */
export class PreparedStatements {
  private readonly client: KnexClient;

  constructor(private readonly orm: MikroORM) {
    this.client = orm.em.getConnection().getKnex().client as KnexClient;
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
