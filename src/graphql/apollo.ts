import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginUsageReporting } from '@apollo/server/plugin/usageReporting';
import type { FastifyInstance } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { Config } from '../config';
import type { Logger } from '../infra/logger';
import { CompiledExecution, interpret } from './compiled-execution';
import { HotQueries } from './hot-queries';
import type { Context } from './context';
import { formatGraphQLError } from './errors';
import { MAX_TOKENS, oncePerDocument, queryLimits } from './limits';
import {
  httpStatusPlugin,
  internalErrorLogger,
  operationObserver,
  type OperationObserver,
} from './plugins';
import { APQ_TTL_SECONDS, boundedApqCache, type TrustedDocuments } from './trusted-documents';

/**
 * Apollo Studio. Schema reporting is always off: Apollo Server refuses it on
 * a subgraph schema and throws at start-up (`APOLLO_SCHEMA_REPORTING=true`
 * included, which this plugin makes it ignore); the subgraph SDL is
 * published from CI with `rover subgraph publish` instead (README). Usage
 * reporting must be installed by hand on a subgraph (Apollo turns it off by
 * itself, expecting the router to report): on when APOLLO_KEY and
 * APOLLO_GRAPH_REF are set, unless APOLLO_USAGE_REPORTING=false (behind a
 * router that reports, to avoid counting twice). Field-level traces for a
 * sample of requests (APOLLO_FIELD_SAMPLING) give Studio its field
 * statistics, weighted back to the whole; compiled execution keeps them
 * (CompiledExecution recompiles once Apollo has instrumented the resolvers).
 */
function studioPlugins(config: Config): ApolloServerPlugin<Context>[] {
  const studio = config.apollo;
  const usage =
    studio?.usageReporting === true
      ? ApolloServerPluginUsageReporting<Context>({
          fieldLevelInstrumentation: studio.fieldSampling,
          ...(studio.endpointUrl === undefined ? {} : { endpointUrl: studio.endpointUrl }),
        })
      : ApolloServerPluginUsageReportingDisabled();
  return [ApolloServerPluginSchemaReportingDisabled(), usage];
}

export interface GraphQLServer {
  apollo: ApolloServer<Context>;
  /** The queries answered without Apollo's pipeline; none while Studio usage reporting is on. */
  hotQueries: HotQueries | undefined;
}

export async function createApolloServer(
  config: Config,
  schema: GraphQLSchema,
  server: FastifyInstance,
  logger: Logger,
  trusted: TrustedDocuments | undefined,
  /** Told of every answer (the composition side's metrics). */
  observe: OperationObserver,
): Promise<GraphQLServer> {
  const limits = queryLimits({ production: config.isProduction });
  // Queries seen again run compiled by graphql-jit: see CompiledExecution.
  const compiled =
    config.graphqlCompileOn > 0
      ? new CompiledExecution(schema, { compileOn: config.graphqlCompileOn })
      : undefined;
  // Usage reporting traces requests in Apollo's pipeline: then every request goes through it.
  const hotQueries =
    config.apollo?.usageReporting === true
      ? undefined
      : new HotQueries({
          execute: (request) => (compiled ? compiled.execute(request) : interpret(schema, request)),
          observe,
        });
  const apollo = new ApolloServer<Context>({
    ...(config.apollo
      ? { apollo: { key: config.apollo.key, graphRef: config.apollo.graphRef } }
      : {}),
    ...(compiled ? { gateway: compiled.gateway() } : { schema }),
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: config.isProduction,
    formatError: formatGraphQLError,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    // Shutdown is ours (src/main.ts): Apollo must not re-raise SIGTERM itself.
    stopOnTerminationSignals: false,
    logger,
    validationRules: [...limits.validationRules, oncePerDocument],
    parseOptions: { maxTokens: MAX_TOKENS },
    // A safelist: the manifest, read only; otherwise APQ in a bounded cache of its own.
    persistedQueries: trusted
      ? { cache: trusted.apqCache() }
      : { cache: boundedApqCache(), ttl: APQ_TTL_SECONDS },
    plugins: [
      ...studioPlugins(config),
      ...limits.plugins,
      internalErrorLogger,
      httpStatusPlugin,
      operationObserver(observe),
      ...(hotQueries ? [hotQueries.plugin()] : []),
      // Answers are per viewer and never cached; without cache hints, no plugin
      // needs Apollo to wrap every field resolver.
      ApolloServerPluginCacheControlDisabled(),
      config.isProduction
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
    ],
  });
  await apollo.start();
  // After in-flight requests have finished (Fastify runs onClose last).
  server.addHook('onClose', async () => {
    await apollo.stop();
  });
  return { apollo, hotQueries };
}
