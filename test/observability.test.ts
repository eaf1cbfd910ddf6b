import { startTestServer, type TestServer } from './helpers/app';
import { CREATE_TOKEN, SIGN_UP, uniqueEmail } from './helpers/factories';
import { RestClient } from './helpers/rest';

describe('logs', () => {
  it('never contain a password, token or provider key, from any operation', async () => {
    const lines: string[] = [];
    const server = await startTestServer({ LOG_LEVEL: 'trace' }, { logLines: lines });
    const password = 'Zebra-Canary-Passw0rd-77';
    const newPassword = 'Quokka-Canary-Passw0rd-88';
    const providerKey = 'sk-proj-PLATYPUSCANARY0123456789abcd';
    const email = uniqueEmail('canary');
    try {
      const signedUp = await server.graphql<{ signUp: { token: string } }>(SIGN_UP, {
        input: { email, password, name: 'C' },
      });
      const firstToken = signedUp.data!.signUp.token;
      await server.graphql(CREATE_TOKEN, { input: { email, password: 'Wrong-Canary-Passw0rd-1' } });
      const signedIn = await server.graphql<{ createAccessToken: { token: string } }>(
        CREATE_TOKEN,
        { input: { email, password } },
      );
      const secondToken = signedIn.data!.createAccessToken.token;
      await server.graphql(
        'mutation($i: ChangePasswordInput!) { changePassword(input: $i) { message } }',
        { i: { currentPassword: password, newPassword } },
        firstToken,
      );
      await server.graphql(
        'mutation($k: String!) { addApiKey(input: {provider: openai, key: $k}) { id } }',
        { k: providerKey },
        firstToken,
      );
      const rest = new RestClient(server);
      await rest.request('POST', '/api/user/api-keys', {
        token: secondToken,
        body: { provider: 'gemini', key: `${providerKey}-rest` },
      });
      await rest.request('PATCH', '/api/users/password', {
        token: secondToken,
        body: {
          current_password: 'Wrong-Canary-Passw0rd-2',
          new_password: 'Ignored-Canary-Passw0rd-3',
        },
      });
      // Failures that are logged: invalid tokens and a malformed body.
      await server.graphql('{ viewer { id } }', {}, `${firstToken.slice(0, -3)}xyz`);
      await rest.request('PATCH', '/api/users/password', {
        token: secondToken,
        rawBody: `{"new_password": "${newPassword}"`,
        headers: { 'content-type': 'application/json' },
      });

      const logged = lines.join('');
      expect(lines.length).toBeGreaterThan(10);
      for (const secret of [
        password,
        newPassword,
        'Wrong-Canary-Passw0rd',
        'Ignored-Canary-Passw0rd',
        'PLATYPUSCANARY',
        firstToken,
        secondToken,
        firstToken.slice(10, 30),
        'Bearer ',
      ]) {
        expect(logged).not.toContain(secret);
      }
    } finally {
      await server.close();
    }
  });

  it('put the request id on every request line and in the response header', async () => {
    const lines: string[] = [];
    const server = await startTestServer({ LOG_LEVEL: 'info' }, { logLines: lines });
    try {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'trace-me-123' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(response.headers.get('x-request-id')).toBe('trace-me-123');
      const generated = await fetch(`${server.url}/healthz`, {
        headers: { 'x-request-id': 'not ok; injected' },
      });
      expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

      const requestLines = lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l['msg'] === 'request completed');
      expect(requestLines).toHaveLength(2);
      expect(requestLines[0]).toMatchObject({
        requestId: 'trace-me-123',
        url: '/graphql',
        status: 200,
      });
      expect(requestLines[1]!['requestId']).toBe(generated.headers.get('x-request-id'));
    } finally {
      await server.close();
    }
  });
});

describe('HTTP headers', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ CORS_ORIGINS: 'https://app.example.com' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('sends security headers on every response', async () => {
    for (const response of [
      await fetch(`${server.url}/healthz`),
      await fetch(`${server.url}/api/user/profile`),
      await fetch(`${server.url}/nowhere`),
    ]) {
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('strict-transport-security')).toMatch(/max-age=/);
      expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(response.headers.get('content-security-policy')).toBe(
        "default-src 'none'; frame-ancestors 'none'",
      );
    }
  });

  it('allows CORS for configured origins only', async () => {
    const preflight = (origin: string) =>
      fetch(`${server.url}/graphql`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    const allowed = await preflight('https://app.example.com');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    const refused = await preflight('https://evil.example.com');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('serves /healthz and /readyz', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({ status: 'ready' });
  });
});
