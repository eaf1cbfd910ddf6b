import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
} from 'fastify';
import { isoSeconds } from './common/time';
import { ErrorCode } from './common/errors';
import type { Config } from './config';
import { entities } from './entities';
import { openDatabase, type Database } from './infra/db/database';
import { createApolloServer } from './graphql/apollo';
import type { Context } from './graphql/context';
import type { OperationObserver } from './graphql/plugins';
import { databasePool } from './infra/db/sql';
import { Metrics } from './infra/metrics';
import { TrustedDocuments } from './graphql/trusted-documents';
import { buildGraphQLSchema } from './schema';
import { registerHealthRoutes } from './infra/http/health';
import {
  badUrlHandler,
  clientErrorHandler,
  installErrorHandlers,
  knownPath,
  unrouted,
  type KnownPath,
} from './infra/http/errors';
import { registerJsonBodyParser } from './infra/http/json-body';
import { securityHeaders } from './infra/http/security-headers';
import { accessLogger, createLogger, deferredChildLogger, type Logger } from './infra/logger';
import { MAX_PATH_PARAM_LENGTH } from './rest/compile';
import { registerRestRoutes } from './rest/executor';
import { EXPORT_SCHEMA } from './modules/account/export.schema';
import { openApiDocument } from './rest/openapi';
import { createContext, createDependencies, type Dependencies } from './services';

export interface App {
  server: FastifyInstance;
  database: Database;
  deps: Dependencies;
  logger: Logger;
  /** Prometheus metrics; `metrics.listen` serves them (main.ts, with METRICS_PORT). */
  metrics: Metrics;
  /**
   * Stops accepting, lets in-flight requests finish (at most SHUTDOWN_GRACE_MS,
   * then cuts the connections left), stops the job worker (running jobs
   * finish, at most JOBS_STOP_TIMEOUT_MS), then closes the database.
   */
  close(): Promise<void>;
}

export const GRAPHQL_PATH = '/graphql';
export const OPENAPI_PATH = '/api/openapi.json';
/** Largest request body accepted (413 above). */
export const BODY_LIMIT_BYTES = 64 * 1024;

/** Builds the whole service (database included) without listening. */
export async function createApp(config: Config, logger = createLogger(config)): Promise<App> {
  const database = await openDatabase(config, logger, { entities });
  try {
    const deps = await createDependencies(config, database, logger);
    const metrics = new Metrics({
      knownOperations: [],
      errorCodes: Object.values(ErrorCode),
      rateLimits: Object.keys(config.rateLimits),
    });
    const pool = await databasePool(database.orm);
    metrics.watch({
      pool: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
      hashing: () => deps.hasher.load(),
      mail: () => deps.mail.backlog(),
    });
    deps.rateLimits.onRefused = (limit) => metrics.rateLimited(limit);
    // After the migrations (pg-boss installs its own schema under its own lock).
    await deps.jobs.start().catch(async (error: unknown) => {
      await deps.jobs.stop();
      throw error;
    });
    const server = await createServer(config, database, deps, logger, metrics).catch(
      async (error: unknown) => {
        await deps.jobs.stop();
        throw error;
      },
    );
    return {
      server,
      database,
      deps,
      logger,
      metrics,
      async close() {
        const grace = setTimeout(() => {
          logger.warn(
            { graceMs: config.shutdownGraceMs },
            'grace period over: closing connections',
          );
          server.server.closeAllConnections();
        }, config.shutdownGraceMs);
        try {
          await server.close();
        } finally {
          clearTimeout(grace);
          await metrics.close();
          // Running jobs finish (bounded by JOBS_STOP_TIMEOUT_MS) before the pool closes.
          await deps.jobs.stop();
          deps.mail.close();
          await deps.tokenUsage.close();
          await database.close();
        }
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** The one context of a request, whichever face (GraphQL or REST) it comes in by. */
function contextOf(deps: Dependencies, request: FastifyRequest): Context {
  const context = createContext(deps, {
    ip: request.ip,
    authorization: request.headers.authorization,
    userAgent: request.headers['user-agent'],
    log: request.log,
  });
  request.accountContext = context;
  return context;
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The request's context once made, for what its response says of the
     * session (Access-Token-Expires-At). A request decoration, not a WeakMap
     * keyed by the request: the read paths' CPU profile showed the map.
     */
    accountContext: Context | null;
  }
}

/** A client-chosen request id is kept when it is short and plain; otherwise a new one. */
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

async function createServer(
  config: Config,
  database: Database,
  deps: Dependencies,
  logger: Logger,
  metrics: Metrics,
): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = logger;
  const paths: KnownPath[] = [];
  const server = Fastify({
    loggerInstance,
    // One line per request, written by the onResponse hook below.
    logController: new LogController({
      disableRequestLogging: true,
      requestIdLogLabel: 'requestId',
    }),
    childLoggerFactory: deferredChildLogger,
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH },
    trustProxy: config.trustProxy,
    return503OnClosing: true,
    frameworkErrors: badUrlHandler(() => paths),
    clientErrorHandler,
  });
  // Bodies that are not valid UTF-8 are refused by the input check, naming the field.
  registerJsonBodyParser(server);
  // JSON only: a text/plain body is 415 like any other type, not a string to refuse later.
  server.removeContentTypeParser('text/plain');
  server.decorateRequest('accountContext', null);

  // While shutting down, answers close their connection, so that keep-alive
  // sockets do not hold the process open once in-flight requests are done.
  let closing = false;
  server.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  // helmet's headers (computed once) and, for the JSON API, a deny-all CSP;
  // the Sandbox page (text/html) needs Apollo's CDN and goes without (onSend).
  const headers = Object.entries({
    ...securityHeaders({ contentSecurityPolicy: false, crossOriginEmbedderPolicy: false }),
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  });
  server.addHook('onRequest', (request, reply, done) => {
    for (const [name, value] of headers) void reply.header(name, value);
    // Nothing this API answers may be cached, its errors and the framework's included.
    void reply.header('x-request-id', request.id).header('cache-control', 'no-store');
    // OPTIONS serves CORS preflights only (@fastify/cors, below): any other
    // OPTIONS request is a method the path does not offer.
    if (request.method === 'OPTIONS') {
      const { origin, 'access-control-request-method': preflightMethod } = request.headers;
      if (!origin || !preflightMethod) {
        void unrouted(paths, request, reply);
        return;
      }
    }
    done();
  });
  const accessLog = accessLogger(logger);
  // What each GraphQL request's operation was and whether it succeeded, for
  // the metrics. The Apollo plugin sees a (shallow) copy of the context,
  // onResponse the request: both hold the request's own logger, the key.
  const outcomes = new WeakMap<object, { operation: string | null; succeeded: boolean }>();
  const observeOperation: OperationObserver = (context, operation, codes) => {
    outcomes.set(context.log, { operation, succeeded: codes.length === 0 });
    metrics.observeGraphQLErrors(codes, operation);
  };
  server.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url;
    const outcome = outcomes.get(request.log);
    metrics.observeRequest({
      method: request.method,
      route,
      status: reply.statusCode,
      seconds: reply.elapsedTime / 1000,
      ...(route === GRAPHQL_PATH
        ? { operation: outcome?.operation ?? null, succeeded: outcome?.succeeded ?? false }
        : {}),
    });
    accessLog.info(
      {
        requestId: request.id,
        method: request.method,
        url: request.routeOptions.url ?? 'unmatched',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request completed',
    );
    done();
  });

  server.addHook('onSend', (request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    // An expiring token's answers say when it expires, like GitHub's token expiration header.
    const expiresAt = request.accountContext?.auth.resolved?.expiresAt;
    if (expiresAt) void reply.header('access-token-expires-at', isoSeconds(expiresAt));
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('text/html')) {
      void reply.removeHeader('content-security-policy');
    }
    done(null, payload);
  });
  if (config.corsOrigins.length > 0) {
    await server.register(cors, {
      origin: config.corsOrigins,
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'x-request-id', 'apollo-require-preflight'],
      exposedHeaders: [
        'x-request-id',
        'retry-after',
        'access-token-expires-at',
        'www-authenticate',
      ],
      maxAge: 600,
    });
  }

  installErrorHandlers(server, () => paths);
  paths.push(...registerHealthRoutes(server, database));

  const context = (request: FastifyRequest) => contextOf(deps, request);
  const schema = await buildGraphQLSchema();
  // PERSISTED_QUERIES=safelist: read and checked now, so a bad manifest stops start-up.
  const trusted =
    config.persistedQueries.mode === 'safelist'
      ? TrustedDocuments.fromFile(config.persistedQueries.manifestPath)
      : undefined;
  const { apollo, hotQueries } = await createApolloServer(
    config,
    schema,
    server,
    logger,
    trusted,
    observeOperation,
  );
  const apolloHandler = fastifyApolloHandler(apollo, {
    context: (request) => Promise.resolve(context(request)),
  });
  // A query Apollo has already accepted is answered without its pipeline (HotQueries).
  const graphqlHandler: typeof apolloHandler = hotQueries
    ? function (request, reply) {
        const hot = hotQueries.match(request);
        if (!hot) return apolloHandler.call(this, request, reply);
        metrics.hotQuery();
        return hotQueries.answer(hot, context(request), reply);
      }
    : apolloHandler;
  paths.push(knownPath(GRAPHQL_PATH, ['GET', 'POST', 'HEAD']));
  server.route({
    url: GRAPHQL_PATH,
    method: ['GET', 'POST'],
    // Only trusted documents reach Apollo (the REST face's never come this way).
    ...(trusted ? { preHandler: trusted.preHandler() } : {}),
    handler: graphqlHandler,
  });

  const routes = registerRestRoutes(server, schema, context, {
    'Mutation.exportData': EXPORT_SCHEMA,
  });
  const methodsByPath = new Map<string, string[]>();
  for (const route of routes) {
    methodsByPath.set(route.path, [...(methodsByPath.get(route.path) ?? []), ...route.methods]);
  }
  for (const [path, methods] of methodsByPath) paths.push(knownPath(path, methods));

  const openApi = JSON.stringify(openApiDocument(routes));
  paths.push(knownPath(OPENAPI_PATH, ['GET', 'HEAD']));
  server.get(OPENAPI_PATH, (_request, reply) =>
    reply.header('content-type', 'application/json; charset=utf-8').send(openApi),
  );

  return server;
}
