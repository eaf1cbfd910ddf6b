import http from 'node:http';
import type { AddressInfo } from 'node:net';
import client from 'prom-client';
import { within } from '../common/time';
import type { MailBacklog } from './mail/mail';

/**
 * Prometheus metrics (prom-client), on a listener of their own
 * (`METRICS_PORT`), never on the public port. Each app has its own registry:
 * several apps live in one process under jest, and the global registry would
 * refuse the second's metrics.
 *
 * Label sets are bounded: routes are Fastify's route templates
 * (`unmatched` for anything else, never the raw URL); GraphQL operation
 * names come from clients, so only known names and the first
 * `maxDynamicOperations` other names that executed successfully are
 * themselves, the rest fold into `other` (see `OperationLabels`).
 */

const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;

/** GraphQL operation names as a bounded label set. */
export class OperationLabels {
  private readonly known: Set<string>;
  private readonly dynamic = new Set<string>();

  constructor(
    known: Iterable<string>,
    private readonly maxDynamic: number,
  ) {
    this.known = new Set(known);
  }

  /** The label of an operation name; a new name is admitted only when its operation succeeded. */
  label(name: string | null | undefined, succeeded: boolean): string {
    if (name === undefined || name === null || name === '') return 'anonymous';
    if (this.known.has(name) || this.dynamic.has(name)) return name;
    if (!OPERATION_NAME.test(name)) return 'other';
    if (succeeded && this.dynamic.size < this.maxDynamic) {
      this.dynamic.add(name);
      return name;
    }
    return 'other';
  }
}

/** What the pool holds right now (node-postgres' Pool counts). */
export interface PoolCounts {
  total: number;
  idle: number;
  waiting: number;
}

/** Password hashes waiting for a slot and running. */
export interface HashingLoad {
  queued: number;
  running: number;
}

export interface MetricsOptions {
  /** Operation names that are always their own label (the REST face's, documented ones). */
  knownOperations: Iterable<string>;
  /** The closed set of error codes; anything else counts as OTHER. */
  errorCodes: Iterable<string>;
  /** Every rate limit's name, so each series exists from the first scrape. */
  rateLimits: Iterable<string>;
  maxDynamicOperations?: number;
}

export interface RequestObservation {
  method: string;
  /** The route template, or undefined when no route matched. */
  route: string | undefined;
  status: number;
  seconds: number;
  /** GraphQL requests: the operation name (null: anonymous); others: undefined. */
  operation?: string | null;
  /** Whether the GraphQL operation executed without errors. */
  succeeded?: boolean;
}

/** How long a scrape waits for the mail outbox's counts. */
export const MAIL_BACKLOG_WAIT_MS = 2000;

export class Metrics {
  readonly registry = new client.Registry();
  private readonly operations: OperationLabels;
  private readonly codes: Set<string>;
  private readonly requests: client.Counter<'method' | 'route' | 'status' | 'operation'>;
  private readonly duration: client.Histogram<'method' | 'route' | 'operation'>;
  private readonly graphqlErrors: client.Counter<'code' | 'operation'>;
  private readonly refusals: client.Counter<'limit'>;
  private readonly hotQueries: client.Counter;
  private pool: (() => PoolCounts) | undefined;
  private hashing: (() => HashingLoad) | undefined;
  private mail: (() => Promise<MailBacklog>) | undefined;
  /** The outbox read of the scrape in progress, shared by the gauges that show it. */
  private mailRead: Promise<MailBacklog | undefined> | undefined;
  private listener: http.Server | undefined;

  constructor(options: MetricsOptions) {
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry });
    this.operations = new OperationLabels(
      options.knownOperations,
      options.maxDynamicOperations ?? 50,
    );
    this.codes = new Set(options.errorCodes);
    this.requests = new client.Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route template, status and GraphQL operation',
      labelNames: ['method', 'route', 'status', 'operation'],
      registers,
    });
    this.duration = new client.Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, route template and GraphQL operation',
      labelNames: ['method', 'route', 'operation'],
      // 5 ms to 10 s: the database wait bound (3 s) falls between 2.5 and 5.
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.graphqlErrors = new client.Counter({
      name: 'graphql_errors_total',
      help: 'Errors in GraphQL responses, by extensions.code and operation',
      labelNames: ['code', 'operation'],
      registers,
    });
    this.hotQueries = new client.Counter({
      name: 'graphql_hot_queries_total',
      help: "GraphQL requests answered without Apollo Server's request pipeline: queries Apollo had already accepted (src/graphql/hot-queries.ts)",
      registers,
    });
    this.refusals = new client.Counter({
      name: 'rate_limit_refusals_total',
      help: 'Attempts refused by a rate limit, by limit',
      labelNames: ['limit'],
      registers,
    });
    for (const limit of options.rateLimits) this.refusals.inc({ limit }, 0);
    // Read when Prometheus scrapes: no timers.
    const pool = () => this.pool?.();
    const hashing = () => this.hashing?.();
    new client.Gauge({
      name: 'db_pool_connections',
      help: 'Database connections of this process, by state (in_use, idle)',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = pool();
        if (!counts) return;
        this.set({ state: 'in_use' }, counts.total - counts.idle);
        this.set({ state: 'idle' }, counts.idle);
      },
    });
    new client.Gauge({
      name: 'db_pool_waiting',
      help: 'Requests waiting for a database connection',
      registers,
      collect() {
        const counts = pool();
        if (counts) this.set(counts.waiting);
      },
    });
    new client.Gauge({
      name: 'scrypt_queue_depth',
      help: 'Password hashes waiting for a slot (queued) and computing (running)',
      labelNames: ['state'],
      registers,
      collect() {
        const load = hashing();
        if (!load) return;
        this.set({ state: 'queued' }, load.queued);
        this.set({ state: 'running' }, load.running);
      },
    });
    const mail = () => this.mailBacklog();
    new client.Gauge({
      name: 'mail_outbox_messages',
      help: 'Messages of the mail outbox waiting for delivery (pending) and given up on in the last 30 days (failed)',
      labelNames: ['status'],
      registers,
      async collect() {
        this.reset();
        const backlog = await mail();
        if (!backlog) return;
        this.set({ status: 'pending' }, backlog.pending);
        this.set({ status: 'failed' }, backlog.failed);
      },
    });
    new client.Gauge({
      name: 'mail_outbox_oldest_pending_seconds',
      help: 'Age of the oldest message waiting for delivery (0: none waits; NaN: the outbox could not be read)',
      registers,
      async collect() {
        const backlog = await mail();
        this.set(backlog ? backlog.oldestPendingSeconds : Number.NaN);
      },
    });
  }

  /** Where the pool, the password hasher and the mail outbox are read from at each scrape. */
  watch(sources: {
    pool?: () => PoolCounts;
    hashing?: () => HashingLoad;
    mail?: () => Promise<MailBacklog>;
  }): void {
    this.pool = sources.pool ?? this.pool;
    this.hashing = sources.hashing ?? this.hashing;
    this.mail = sources.mail ?? this.mail;
  }

  /**
   * The outbox, read once per scrape (the gauges that show it collect at
   * the same time and share the read) and given at most
   * `MAIL_BACKLOG_WAIT_MS`: a database that does not answer leaves the mail
   * series out of that scrape, never holds the scrape.
   */
  private mailBacklog(): Promise<MailBacklog | undefined> {
    const read = this.mail;
    if (!read) return Promise.resolve(undefined);
    this.mailRead ??= within(
      read().catch(() => undefined),
      MAIL_BACKLOG_WAIT_MS,
      undefined,
    ).finally(() => {
      this.mailRead = undefined;
    });
    return this.mailRead;
  }

  /** One answered HTTP request. */
  observeRequest(request: RequestObservation): void {
    const operation =
      request.operation === undefined
        ? 'none'
        : this.operations.label(request.operation, request.succeeded ?? false);
    const route = request.route ?? 'unmatched';
    this.requests.inc({
      method: request.method,
      route,
      status: String(request.status),
      operation,
    });
    this.duration.observe({ method: request.method, route, operation }, request.seconds);
  }

  /** The error codes of one GraphQL response. */
  observeGraphQLErrors(codes: readonly unknown[], operation: string | null | undefined): void {
    const label = this.operations.label(operation, false);
    for (const code of codes) {
      this.graphqlErrors.inc({
        code: typeof code === 'string' && this.codes.has(code) ? code : 'OTHER',
        operation: label,
      });
    }
  }

  /** A GraphQL request answered by HotQueries. */
  hotQuery(): void {
    this.hotQueries.inc();
  }

  /** An attempt a rate limit refused. */
  rateLimited(limit: string): void {
    this.refusals.inc({ limit });
  }

  /** Serves `GET /metrics` on host:port (a port of 0 picks a free one); returns the port. */
  async listen(host: string, port: number): Promise<number> {
    const listener = http.createServer((request, response) => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      this.registry.metrics().then(
        (text) => {
          response
            .writeHead(200, {
              'content-type': this.registry.contentType,
              'cache-control': 'no-store',
            })
            .end(text);
        },
        () => {
          response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n');
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(port, host, () => resolve());
    });
    this.listener = listener;
    return (listener.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    if (!listener) return;
    listener.closeAllConnections();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  }
}
