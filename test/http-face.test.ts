import http from 'node:http';
import net from 'node:net';
import { startTestServer, randomClientAddress, type TestServer } from './helpers/app';
import { signUp } from './helpers/factories';

/**
 * The HTTP face exactly: what the framework and Node answer by themselves
 * (unknown methods, preflights, oversized headers, bad request lines, long
 * path segments) is in the one error format, never cached, echoing nothing;
 * body-less paths take no body; HEAD never runs a download.
 */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** A request exactly as given (node:http lets a GET carry a body and any method name). */
function raw(
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string } = {},
): Promise<Raw> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: {
          'x-forwarded-for': randomClientAddress(),
          // Node sends a DELETE's or GET's body unframed unless told its length.
          ...(options.body === undefined
            ? {}
            : { 'content-length': String(Buffer.byteLength(options.body)) }),
          ...options.headers,
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text }),
        );
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

/** Bytes on a socket, for requests Node's parser refuses before any handler runs. */
function rawSocket(bytes: string): Promise<string> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
    socket.write(bytes);
  });
}

/** The one error body, and nothing else. */
function expectClosedError(response: Raw, status: number, code = 'BAD_USER_INPUT') {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(response.headers['cache-control']).toBe('no-store');
  const body = JSON.parse(response.text) as { error: Record<string, unknown> };
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error['code']).toBe(code);
  expect(typeof body.error['message']).toBe('string');
  for (const key of Object.keys(body.error)) expect(['code', 'message', 'field']).toContain(key);
  return body.error;
}

const auth = (token: string, more: Record<string, string> = {}) => ({
  authorization: `Bearer ${token}`,
  ...more,
});

describe('bodies', () => {
  const nameOf = async (id: string) =>
    (await server.sql<{ name: string }>('select name from users where id = ?', [id]))[0]?.name;

  it('refuses a JSON null body and changes nothing', async () => {
    const user = await signUp(server);
    const name = await nameOf(user.id);
    const response = await raw('PATCH', '/api/user/profile', {
      headers: auth(user.token, { 'content-type': 'application/json' }),
      body: 'null',
    });
    expectClosedError(response, 400);
    expect(await nameOf(user.id)).toBe(name);
  });

  it.each(['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded'])(
    'answers a %s body with 415',
    async (type) => {
      const user = await signUp(server);
      const name = await nameOf(user.id);
      const response = await raw('PATCH', '/api/user/profile', {
        headers: auth(user.token, { 'content-type': type }),
        body: '{"name":"Plain"}',
      });
      expectClosedError(response, 415);
      expect(await nameOf(user.id)).toBe(name);
    },
  );

  it('POST /api/user/activity takes no body, {} or an empty one, and nothing else', async () => {
    const user = await signUp(server);
    const activityRows = async () =>
      (
        await server.sql('select count(*)::int as n from activity_events where user_id = ?', [
          user.id,
        ])
      )[0];
    const refused = [
      { headers: { 'content-type': 'application/json' }, body: '{"recorded":false}', status: 400 },
      { headers: { 'content-type': 'application/json' }, body: '[]', status: 400 },
      { headers: { 'content-type': 'application/json' }, body: 'null', status: 400 },
      { headers: { 'content-type': 'text/plain' }, body: 'ping', status: 415 },
    ];
    for (const { headers, body, status } of refused) {
      const response = await raw('POST', '/api/user/activity', {
        headers: auth(user.token, headers),
        body,
      });
      expectClosedError(response, status);
    }
    expect(await activityRows()).toEqual({ n: 0 });

    for (const request of [
      {},
      { headers: { 'content-type': 'application/json' }, body: '{}' },
      { headers: { 'content-type': 'application/json' } },
    ]) {
      const response = await raw('POST', '/api/user/activity', {
        headers: auth(user.token, request.headers),
        ...(request.body === undefined ? {} : { body: request.body }),
      });
      expect(response.status).toBe(200);
    }
  });

  it('refuses a body on a GET path', async () => {
    const user = await signUp(server);
    const response = await raw('GET', '/api/user/profile', {
      headers: auth(user.token, { 'content-type': 'application/json' }),
      body: '{"name":"x"}',
    });
    expectClosedError(response, 400);
  });
});

describe('HEAD', () => {
  it('is not offered on the data export, which it would run and count', async () => {
    const user = await signUp(server);
    for (let i = 0; i < 12; i++) {
      const head = await raw('HEAD', '/api/user/data-export', { headers: auth(user.token) });
      expect(head.status).toBe(405);
      expect(head.headers['allow']).toBe('GET');
    }
    // The quota (10 per hour) is untouched: the next export is served.
    const get = await raw('GET', '/api/user/data-export', { headers: auth(user.token) });
    expect(get.status).toBe(200);
  });

  it('answers the headers of a GET elsewhere', async () => {
    const user = await signUp(server);
    const head = await raw('HEAD', '/api/user/profile', { headers: auth(user.token) });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers['cache-control']).toBe('no-store');
  });
});

describe('methods and paths', () => {
  it('answers an unknown method on a known path with 405 and Allow', async () => {
    const response = await raw('QUERY', '/api/user/profile', {
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expectClosedError(response, 405);
    expect(response.headers['allow']).toBe('GET, HEAD, PATCH');
  });

  it('answers OPTIONS that is not a preflight with 405, and a preflight with 204', async () => {
    const plain = await raw('OPTIONS', '/api/user/profile');
    expectClosedError(plain, 405);
    expect(plain.headers['allow']).toBe('GET, HEAD, PATCH');

    const unknown = await raw('OPTIONS', '/api/nothing');
    expectClosedError(unknown, 404, 'NOT_FOUND');

    const preflight = await raw('OPTIONS', '/api/user/profile', {
      headers: {
        origin: 'https://studio.apollographql.com',
        'access-control-request-method': 'PATCH',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(
      'https://studio.apollographql.com',
    );
    expect(preflight.headers['cache-control']).toBe('no-store');
  });

  it('echoes nothing of an unknown path or method', async () => {
    const marker = 'Echo-Marker-9f3a';
    const missing = await raw('GET', `/api/${marker}?q=${marker}`);
    expectClosedError(missing, 404, 'NOT_FOUND');
    expect(missing.text).not.toContain(marker);
    const wrong = await raw('PUT', `/api/user/profile?${marker}`);
    expectClosedError(wrong, 405);
    expect(wrong.text).not.toContain(marker);
  });

  it('answers an overlong path segment with 414, echoing nothing', async () => {
    const user = await signUp(server);
    const long = `key_${'Z'.repeat(300)}`;
    const response = await raw('DELETE', `/api/user/api-keys/${long}`, {
      headers: auth(user.token),
    });
    expectClosedError(response, 414);
    expect(response.text).not.toContain('ZZZZ');
  });

  it.each([
    ['404', 'GET', '/api/none', {}, undefined, 404],
    ['405', 'PUT', '/api/user/profile', {}, undefined, 405],
    [
      '413',
      'PATCH',
      '/api/user/profile',
      { 'content-type': 'application/json' },
      JSON.stringify({ bio: 'x'.repeat(70_000) }),
      413,
    ],
    [
      '400 malformed JSON',
      'PATCH',
      '/api/user/profile',
      { 'content-type': 'application/json' },
      '{"name":',
      400,
    ],
  ] as const)(
    '%s carries no-store and the closed body',
    async (_label, method, path, headers, body, status) => {
      const user = await signUp(server);
      const response = await raw(method, path, {
        headers: auth(user.token, headers),
        ...(body === undefined ? {} : { body }),
      });
      expectClosedError(response, status, status === 404 ? 'NOT_FOUND' : 'BAD_USER_INPUT');
    },
  );
});

describe("what Node's HTTP parser refuses", () => {
  const parse = (text: string) => {
    const [head = '', body = ''] = text.split('\r\n\r\n');
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
    const headers = Object.fromEntries(
      head
        .split('\r\n')
        .slice(1)
        .map((line) => [
          line.slice(0, line.indexOf(':')).toLowerCase(),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
    );
    return { status, headers, text: body };
  };

  it('answers headers over the limit with 431 in the closed format', async () => {
    const marker = 'Echo-Marker-431';
    const response = parse(
      await rawSocket(
        `GET /api/user/profile HTTP/1.1\r\nHost: x\r\nX-Big: ${marker}${'a'.repeat(20_000)}\r\n\r\n`,
      ),
    );
    expectClosedError(response, 431);
    expect(response.text).not.toContain(marker);
  });

  it('answers a malformed request line with 400 in the closed format', async () => {
    const response = parse(await rawSocket('GET /api/<marker> HTTP/9.9 nonsense\r\n\r\n'));
    expectClosedError(response, 400);
    expect(response.text).not.toContain('marker');
  });
});

describe('REST errors in REST words', () => {
  it('names snake_case fields as snake_case in the message too', async () => {
    const user = await signUp(server);
    const tooLong = await raw('PATCH', '/api/users/password', {
      headers: auth(user.token, { 'content-type': 'application/json' }),
      body: JSON.stringify({
        current_password: user.password,
        new_password: `A1${'x'.repeat(140)}`,
      }),
    });
    const error = expectClosedError(tooLong, 400);
    expect(error).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'new_password',
      message: 'new_password must be at most 128 characters long.',
    });

    const missing = await raw('PATCH', '/api/users/password', {
      headers: auth(user.token, { 'content-type': 'application/json' }),
      body: JSON.stringify({ new_password: 'NewPassword456' }),
    });
    expect(expectClosedError(missing, 400)).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'current_password',
      message: 'current_password is required.',
    });

    const badUrl = await raw('PATCH', '/api/users/profile', {
      headers: auth(user.token, { 'content-type': 'application/json' }),
      body: JSON.stringify({ avatar_url: 'not a url' }),
    });
    expect(expectClosedError(badUrl, 400)).toMatchObject({
      field: 'avatar_url',
      message: expect.stringMatching(/^avatar_url /) as unknown,
    });
  });

  it.each([
    ['/api/user/timezone', 'PATCH', {}, 'timezone', 'timezone is required.'],
    ['/api/user/timezone', 'PATCH', { timezone: null }, 'timezone', 'timezone must not be null.'],
    ['/api/user/timezone', 'PATCH', { timezone: 5 }, 'timezone', 'timezone must be a string.'],
    [
      '/api/user/api-keys',
      'POST',
      { provider: 'mistral', key: 'sk-1234567890' },
      'provider',
      'provider must be one of openai, anthropic, gemini.',
    ],
    [
      '/api/user/onboarding',
      'POST',
      {
        fullName: 'J',
        jobTitle: 'P',
        company: 'A',
        useCase: 'U',
        teamSize: 's',
        prdStyle: 'c',
        interests: 'all',
      },
      'interests',
      'interests must be a list of strings.',
    ],
    ['/api/user/delete-account', 'DELETE', {}, 'confirmEmail', 'confirmEmail is required.'],
  ] as const)('%s %s %j: %s', async (path, method, body, field, message) => {
    const user = await signUp(server);
    const response = await raw(method, path, {
      headers: auth(user.token, { 'content-type': 'application/json' }),
      body: JSON.stringify(body),
    });
    const error = expectClosedError(response, 400);
    expect(error).toEqual({ code: 'BAD_USER_INPUT', field, message });
    expect(response.text).not.toMatch(/\$|GraphQL|Variable|"String!"|Input"/);
  });
});
