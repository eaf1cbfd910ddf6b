import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/infra/logger';
import { TEST_CONNECT_TIMEOUT_MS } from './connect-timeout';

export interface GraphQLResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions: Record<string, unknown> }[];
  /** The raw response text, to search for anything that must never appear. */
  text: string;
}

export interface TestServer {
  app: App;
  /** Base URL of the running server, e.g. http://127.0.0.1:41234 */
  url: string;
  /** A fresh EntityManager, to read what the database holds. */
  em(): EntityManager;
  /** Runs SQL directly against the database (`?` placeholders). */
  sql<T = Record<string, unknown>>(query: string, params?: unknown[]): Promise<T[]>;
  /**
   * POSTs a GraphQL request. Each request comes from a random client address
   * (X-Forwarded-For; the test server trusts it) unless `headers` names one,
   * so per-address limits only meet the tests that aim at them.
   */
  graphql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
    headers?: Record<string, string>,
  ): Promise<GraphQLResult<T>>;
  close(): Promise<void>;
}

/** A client address from 10.0.0.0/8, different for (almost) every request. */
export function randomClientAddress(): string {
  const [a = 0, b = 0, c = 0] = randomBytes(3);
  return `10.${a}.${b}.${c}`;
}

/** This worker's own database (see test/setup/global-setup.ts). */
export function workerDatabaseUrl(): string {
  const template = process.env['TEST_POSTGRES_URL'];
  if (!template) throw new Error('TEST_POSTGRES_URL is not set: run the tests through jest');
  return template.replace('{worker}', process.env['JEST_WORKER_ID'] ?? '1');
}

/**
 * A new, empty database on the test cluster, for a test that must see the
 * whole database as its own (the server migrates it when it starts).
 */
export async function createScratchDatabase(): Promise<string> {
  const name = `account_scratch_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({
    connectionString: workerDatabaseUrl().replace(/\/[^/]+$/, '/postgres'),
  });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  return workerDatabaseUrl().replace(/\/[^/]+$/, `/${name}`);
}

/** The master key every test server of this run shares (see global setup). */
export function testMasterKeys(): string {
  const keys = process.env['TEST_MASTER_KEYS'];
  if (!keys) throw new Error('TEST_MASTER_KEYS is not set: run the tests through jest');
  return keys;
}

/** The real server on an ephemeral port, against this worker's PostgreSQL. */
export async function startTestServer(
  env: Record<string, string> = {},
  options: { logLines?: string[] } = {},
): Promise<TestServer> {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: workerDatabaseUrl(),
    LOG_LEVEL: 'silent',
    // Cheap hashes keep the suite fast; production cost is enforced by config.
    SCRYPT_LOG_N: '4',
    SCRYPT_MAX_CONCURRENCY: '4',
    MASTER_KEYS: testMasterKeys(),
    TRUST_PROXY: 'true',
    DATABASE_CONNECT_TIMEOUT_MS: TEST_CONNECT_TIMEOUT_MS,
    ...env,
  });
  // With `logLines`, every line the server logs is collected there; without,
  // lines go nowhere (not to a buffered stream on the worker's stdout per
  // server, which nothing ever closes).
  const lines = options.logLines;
  const app = await createApp(
    config,
    createLogger(config, {
      write: lines ? (line: string) => void lines.push(line) : () => undefined,
    }),
  );
  await app.server.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    app,
    url,
    em: () => app.database.orm.em.fork(),
    sql: (query, params = []) => app.database.orm.em.fork().execute(query, params),
    async graphql<T>(
      query: string,
      variables?: Record<string, unknown>,
      token?: string,
      headers: Record<string, string> = {},
    ) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-forwarded-for': randomClientAddress(),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      const text = await response.text();
      const body = JSON.parse(text) as Omit<GraphQLResult<T>, 'status' | 'headers' | 'text'>;
      return { ...body, status: response.status, headers: response.headers, text };
    },
    close: () => app.close(),
  };
}
