/**
 * Apollo Studio reporting with APOLLO_KEY and APOLLO_GRAPH_REF set: the
 * server starts (schema reporting never tried, even when asked for), and
 * usage reports with operations and field statistics reach the usage
 * endpoint, a local HTTP server here that decodes them.
 */
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginSchemaReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginUsageReporting } from '@apollo/server/plugin/usageReporting';
import { CompiledExecution } from '../src/graphql/compiled-execution';
import { buildGraphQLSchema } from '../src/schema';
import { startTestServer } from './helpers/app';
import { signUp } from './helpers/factories';
import { startUsageSink, usageByOperation, type UsageSink } from './helpers/usage-sink';

const STUDIO = {
  APOLLO_KEY: 'service:account-api-test:0123456789abcdef',
  APOLLO_GRAPH_REF: 'account-api-test@current',
};

let sink: UsageSink;

beforeEach(async () => {
  sink = await startUsageSink();
});

afterEach(async () => {
  await sink.close();
});

function usageOf(name: string) {
  const usage = [...usageByOperation(sink.reports)].find(([key]) => key.startsWith(`# ${name}\n`));
  return usage?.[1];
}

it('starts with a key and graph ref (schema reporting asked for too) and reports operations with field statistics', async () => {
  const previous = process.env['APOLLO_SCHEMA_REPORTING'];
  // Apollo Server throws at start on a subgraph when schema reporting is on.
  process.env['APOLLO_SCHEMA_REPORTING'] = 'true';
  let server;
  try {
    server = await startTestServer({
      ...STUDIO,
      APOLLO_FIELD_SAMPLING: '1',
      APOLLO_USAGE_REPORTING_ENDPOINT: sink.url,
    });
  } finally {
    if (previous === undefined) delete process.env['APOLLO_SCHEMA_REPORTING'];
    else process.env['APOLLO_SCHEMA_REPORTING'] = previous;
  }
  const user = await signUp(server);
  // Five times: graphql-jit runs it from the third (GRAPHQL_COMPILE_ON).
  for (let i = 0; i < 5; i++) {
    const result = await server.graphql(
      'query ViewerCard { viewer { id profile { email } user { id name } } }',
      {},
      user.token,
    );
    expect(result.errors).toBeUndefined();
  }
  // Stopping sends what is left.
  await server.close();

  expect(sink.paths.length).toBeGreaterThan(0);
  expect(new Set(sink.paths)).toEqual(new Set(['/api/ingress/traces']));
  expect(sink.reports[0]?.header?.graphRef).toBe(STUDIO.APOLLO_GRAPH_REF);
  const usage = usageOf('ViewerCard');
  expect(usage?.requests).toBe(5);
  const fields = [...(usage?.fields ?? [])];
  // Field by field, whichever form the plugin chose (traces or per-type stats).
  for (const [path, typeField] of [
    ['viewer', 'Query.viewer'],
    ['viewer.user.name', 'User.name'],
    ['viewer.profile.email', 'Profile.email'],
  ]) {
    expect(fields.some((field) => field === path || field === typeField)).toBe(true);
  }
  // Nothing of the user's in the report: no variables, no answers.
  expect(JSON.stringify(sink.reports)).not.toContain(user.email);
});

it('APOLLO_USAGE_REPORTING=false: starts and sends nothing', async () => {
  const server = await startTestServer({
    ...STUDIO,
    APOLLO_USAGE_REPORTING: 'false',
    APOLLO_USAGE_REPORTING_ENDPOINT: sink.url,
  });
  const result = await server.graphql('query Typename { __typename }');
  expect(result.status).toBe(200);
  await server.close();
  expect(sink.reports).toEqual([]);
});

it('compiled queries report field statistics even when compiled before the first traced request', async () => {
  // A sampled setup: the first requests are not traced, so graphql-jit
  // compiles the document before Apollo has instrumented the resolvers.
  let requests = 0;
  const schema = await buildGraphQLSchema();
  const compiled = new CompiledExecution(schema, { compileOn: 1 });
  const apollo = new ApolloServer({
    gateway: compiled.gateway(),
    apollo: { key: STUDIO.APOLLO_KEY, graphRef: STUDIO.APOLLO_GRAPH_REF },
    plugins: [
      ApolloServerPluginSchemaReportingDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginUsageReporting({
        endpointUrl: sink.url,
        fieldLevelInstrumentation: () => Promise.resolve(++requests > 2 ? 1 : 0),
        experimental_sendOperationAsTrace: () => true,
        sendReportsImmediately: true,
      }),
    ],
    logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
  await apollo.start();
  for (let i = 0; i < 4; i++) {
    const response = await apollo.executeOperation({ query: 'query Sdl { _service { sdl } }' });
    expect(response.body.kind === 'single' && response.body.singleResult.errors).toBeFalsy();
  }
  expect(compiled.size).toBe(1);
  // Each report is sent as its operation ends; within a generous bound.
  const deadline = Date.now() + 15_000;
  while ((usageOf('Sdl')?.requests ?? 0) < 4 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await apollo.stop();
  expect(usageOf('Sdl')?.requests).toBe(4);
  expect(usageOf('Sdl')?.fields).toEqual(new Set(['_service', '_service.sdl']));
});
