import { serverAudits } from 'graphql-http';
import { randomClientAddress, startTestServer, type TestServer } from './helpers/app';
import { PASSWORD, SIGN_UP, uniqueEmail } from './helpers/factories';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

describe('GraphQL over HTTP (outside production)', () => {
  it('serves Apollo Sandbox to a browser at GET /graphql', async () => {
    const response = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toMatch(/sandbox/i);
    // The page loads Apollo's scripts: it cannot carry the API's deny-all policy,
    // but it keeps helmet's other headers.
    expect(response.headers.get('content-security-policy')).toBeNull();
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('answers introspection', async () => {
    const result = await server.graphql<{ __schema: { queryType: { name: string } } }>(
      '{ __schema { queryType { name } } }',
    );
    expect(result.data?.__schema.queryType.name).toBe('Query');
  });

  it('reports a query error with a code from the closed set', async () => {
    const result = await server.graphql('{ viewer { nope } }');
    expect(result.status).toBe(400);
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT' });
    expect(result.errors?.[0]?.message).toMatch(/Cannot query field "nope"/);
  });

  it('never echoes submitted values in variable errors', async () => {
    const secret = 'Leaky-Passw0rd-123';
    const result = await server.graphql(SIGN_UP, {
      input: { email: uniqueEmail(), password: PASSWORD, name: 'X', extra: secret },
    });
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'extra' });
    expect(result.text).not.toContain(secret);
  });

  it('shows no stack trace or internals in errors', async () => {
    const result = await server.graphql('mutation { signUp }');
    expect(result.text).not.toMatch(/stacktrace|\bat .*\.(t|j)s:\d+/i);
  });
});

/**
 * graphql-http's audit suite for the GraphQL over HTTP specification, run
 * against the real server: every MUST passes. (Apollo's CSRF prevention
 * refuses a GET without a non-simple header, as the spec allows a server to;
 * the audits' requests carry `apollo-require-preflight`, as a browser client
 * of this API must.)
 */
describe('GraphQL over HTTP audits (graphql-http serverAudits)', () => {
  const fetchFn: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('apollo-require-preflight', 'true');
    headers.set('x-forwarded-for', randomClientAddress());
    return fetch(input, { ...init, headers });
  };
  const audits = serverAudits({ url: () => `${server.url}/graphql`, fetchFn });

  it('has MUST audits to run', () => {
    expect(audits.filter((audit) => audit.name.startsWith('MUST')).length).toBeGreaterThan(10);
  });

  it.each(audits.filter((audit) => audit.name.startsWith('MUST')).map((a) => [a.name, a] as const))(
    '%s',
    async (_name, audit) => {
      const result = await audit.fn();
      expect({
        status: result.status,
        reason: 'reason' in result ? result.reason : undefined,
      }).toEqual({
        status: 'ok',
        reason: undefined,
      });
    },
  );
});
