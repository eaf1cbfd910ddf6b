import { randomUUID } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from './config';
import { openDatabase, type Database } from './db/database';
import { createContext, type Context } from './graphql/context';
import { formatGraphQLError } from './graphql/errors';
import { internalErrorLogger } from './graphql/plugins';
import { installErrorHandlers, knownPath, type KnownPath } from './http/errors';
import { registerRestRoutes } from './rest/executor';
import { openApiDocument } from './rest/openapi';
import { buildGraphQLSchema } from './graphql/schema';
import { createLogger, type Logger } from './logger';
import { createDependencies, type Dependencies } from './services';

export interface App {
  server: FastifyInstance;
  database: Database;
  deps: Dependencies;
  logger: Logger;
  /** Stops accepting, drains in-flight requests, then closes the database. */
  close(): Promise<void>;
}

export const GRAPHQL_PATH = '/graphql';
export const OPENAPI_PATH = '/api/openapi.json';

/** Builds the whole service (database included) without listening. */
export async function createApp(config: Config, logger = createLogger(config)): Promise<App> {
  const database = await openDatabase(config, logger);
  try {
    const deps = await createDependencies(config, database.orm, logger);
    const server = await createServer(config, deps, logger);
    return {
      server,
      database,
      deps,
      logger,
      async close() {
        await server.close();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

async function createServer(
  config: Config,
  deps: Dependencies,
  logger: Logger,
): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = logger;
  const server = Fastify({
    loggerInstance,
    // One line per request, written by the onResponse hook below.
    logController: new LogController({
      disableRequestLogging: true,
      requestIdLogLabel: 'requestId',
    }),
    genReqId: () => randomUUID(),
    bodyLimit: 64 * 1024,
  });

  server.addHook('onResponse', (request, reply, done) => {
    request.log.info(
      {
        method: request.method,
        url: request.routeOptions.url ?? 'unmatched',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request completed',
    );
    done();
  });

  const schema = await buildGraphQLSchema();
  const paths: KnownPath[] = [];
  installErrorHandlers(server, () => paths);

  const apollo = new ApolloServer<Context>({
    schema,
    introspection: !config.isProduction,
    includeStacktraceInErrorResponses: false,
    formatError: formatGraphQLError,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    logger,
    plugins: [
      fastifyApolloDrainPlugin(server),
      internalErrorLogger(logger),
      config.isProduction
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
    ],
  });
  await apollo.start();

  paths.push(knownPath(GRAPHQL_PATH, ['GET', 'POST', 'OPTIONS']));
  server.route({
    url: GRAPHQL_PATH,
    method: ['GET', 'POST', 'OPTIONS'],
    handler: fastifyApolloHandler(apollo, {
      context: (request) =>
        Promise.resolve(
          createContext(deps, {
            id: request.id,
            ip: request.ip,
            authorization: request.headers.authorization,
          }),
        ),
    }),
  });

  const routes = registerRestRoutes(server, schema, deps);
  const methodsByPath = new Map<string, string[]>();
  for (const route of routes) {
    methodsByPath.set(route.path, [...(methodsByPath.get(route.path) ?? []), route.method]);
  }
  for (const [path, methods] of methodsByPath) paths.push(knownPath(path, methods));

  const openApi = JSON.stringify(openApiDocument(routes));
  paths.push(knownPath(OPENAPI_PATH, ['GET']));
  server.get(OPENAPI_PATH, (_request, reply) =>
    reply.header('content-type', 'application/json; charset=utf-8').send(openApi),
  );

  return server;
}
