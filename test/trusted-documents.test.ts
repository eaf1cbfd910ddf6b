/**
 * PERSISTED_QUERIES=safelist: only the manifest's operations run on
 * /graphql, by hash or by their exact text; everything else is refused with
 * PERSISTED_QUERY_NOT_IN_LIST before GraphQL parses it, and APQ registration
 * is off. The REST face's own documents always run.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, ConfigError } from '../src/config';
import { createApp } from '../src/app';
import { ROUTES } from '../src/rest/routes';
import {
  randomClientAddress,
  startTestServer,
  workerDatabaseUrl,
  testMasterKeys,
  type TestServer,
} from './helpers/app';
import { signUp, type SignedUp } from './helpers/factories';
import { RestClient } from './helpers/rest';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const PROFILE =
  'query ViewerProfile {\n  viewer {\n    id\n    profile {\n      email\n    }\n  }\n}';
const ME = 'query Me {\n  viewer {\n    id\n  }\n}';
const MANIFEST = {
  format: 'apollo-persisted-query-manifest',
  version: 1,
  operations: [
    { id: sha256(PROFILE), name: 'ViewerProfile', type: 'query', body: PROFILE },
    // Ids may be the client's own (`createOperationId`).
    { id: 'custom-me-1', name: 'Me', type: 'query', body: ME },
  ],
};

const dir = mkdtempSync(path.join(tmpdir(), 'trusted-documents-'));
function manifestFile(name: string, content: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

let server: TestServer;
let user: SignedUp;

beforeAll(async () => {
  // Users come from a server without a safelist: signUp is no trusted document here.
  const open = await startTestServer();
  try {
    user = await signUp(open);
  } finally {
    await open.close();
  }
  server = await startTestServer({
    PERSISTED_QUERIES: 'safelist',
    PERSISTED_QUERIES_MANIFEST: manifestFile('manifest.json', MANIFEST),
  });
}, 60_000);

afterAll(async () => {
  await server.close();
});

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
  text: string;
}

async function post(body: unknown, token = user.token): Promise<Answer> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
      'x-forwarded-for': randomClientAddress(),
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: JSON.parse(text) as never,
    text,
  };
}

async function get(params: Record<string, string>): Promise<Answer> {
  const response = await fetch(`${server.url}/graphql?${new URLSearchParams(params).toString()}`, {
    headers: {
      authorization: `Bearer ${user.token}`,
      'apollo-require-preflight': 'true',
      'x-forwarded-for': randomClientAddress(),
    },
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: JSON.parse(text) as never,
    text,
  };
}

const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

function expectRefused(answer: Answer): void {
  expect(answer.status).toBe(400);
  expect(answer.headers.get('cache-control')).toBe('no-store');
  expect(answer.body).toEqual({
    errors: [
      {
        message: 'This operation is not in the list of trusted documents.',
        extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' },
      },
    ],
  });
}

describe('the manifest’s operations run', () => {
  it('by their full text', async () => {
    const answer = await post({ query: PROFILE });
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({ viewer: { id: user.id, profile: { email: user.email } } });
  });

  it('by hash alone (Apollo Client’s persisted-queries link), a custom id too, and by GET', async () => {
    for (const answer of [
      await post({ extensions: persisted(sha256(PROFILE)) }),
      await post({ extensions: persisted('custom-me-1'), operationName: 'Me' }),
      await get({ extensions: JSON.stringify(persisted(sha256(PROFILE))) }),
    ]) {
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
    }
  });

  it('by hash with the same text', async () => {
    // (Apollo checks that a hash sent with a text is that text's sha256.)
    const answer = await post({ query: PROFILE, extensions: persisted(sha256(PROFILE)) });
    expect(answer.body.data).toEqual({ viewer: { id: user.id, profile: { email: user.email } } });
  });
});

describe('anything else is refused before parsing', () => {
  it('another document, even one that is not GraphQL at all', async () => {
    expectRefused(await post({ query: '{ viewer { id profile { email plan } } }' }));
    // Parsed, this would be a syntax error (BAD_USER_INPUT): it never is.
    expectRefused(await post({ query: 'query {{{ not graphql' }));
    expectRefused(await post({ query: `${PROFILE} ` }));
    expectRefused(await post({}));
  });

  it('an unknown hash, a listed hash with another text, a malformed extension', async () => {
    expectRefused(await post({ extensions: persisted(sha256('{ viewer { id } }')) }));
    expectRefused(await post({ query: '{ viewer { id } }', extensions: persisted('custom-me-1') }));
    expectRefused(await post({ query: PROFILE, extensions: { persistedQuery: 'x' } }));
  });

  it('APQ registration is off: a new document with its hash, then its hash alone', async () => {
    const query = '{ viewer { id } }';
    expectRefused(await post({ query, extensions: persisted(sha256(query)) }));
    expectRefused(await post({ extensions: persisted(sha256(query)) }));
  });

  it('a mutation outside the manifest changes nothing', async () => {
    const before = await server.sql<{ n: string }>('select count(*) as n from access_tokens');
    expectRefused(
      await post({ query: 'mutation { createAccessToken(input: {name: "x"}) { token } }' }),
    );
    expect(await server.sql('select count(*) as n from access_tokens')).toEqual(before);
  });

  it('GET and batches alike', async () => {
    expectRefused(await get({ query: '{ viewer { id } }' }));
    expectRefused(await post([{ query: PROFILE }]));
  });
});

it('every REST path still works: its documents are its own', async () => {
  const rest = new RestClient(server);
  for (const route of ROUTES) {
    const url = route.path.replace(/:(\w+)/g, 'key_0000000000000000000000');
    const answer = await rest.request(route.method, url, {
      token: user.token,
      ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { body: {} }),
    });
    expect(answer.text).not.toContain('PERSISTED_QUERY_NOT_IN_LIST');
    expect(answer.status).toBeLessThan(500);
    if (route.method === 'GET') expect(answer.status).toBe(200);
  }
  const patched = await rest.request<{ name: string }>('PATCH', '/api/user/profile', {
    token: user.token,
    body: { name: 'Safelisted' },
  });
  expect(patched.status).toBe(200);
});

describe('configuration', () => {
  const base = {
    NODE_ENV: 'test',
    DATABASE_URL: workerDatabaseUrl(),
    LOG_LEVEL: 'silent',
    MASTER_KEYS: testMasterKeys(),
  };

  it('safelist without a manifest is a configuration error', () => {
    expect(() => loadConfig({ ...base, PERSISTED_QUERIES: 'safelist' })).toThrow(
      new ConfigError('PERSISTED_QUERIES_MANIFEST is required with PERSISTED_QUERIES=safelist'),
    );
  });

  it.each([
    ['not JSON', '{ nope', 'PERSISTED_QUERIES_MANIFEST is not JSON'],
    [
      'another format',
      { ...MANIFEST, format: 'something-else' },
      'PERSISTED_QUERIES_MANIFEST is not an apollo-persisted-query-manifest, version 1 (format',
    ],
    [
      'an operation without a body',
      { ...MANIFEST, operations: [{ id: 'x', name: 'X', type: 'query' }] },
      'PERSISTED_QUERIES_MANIFEST is not an apollo-persisted-query-manifest, version 1 (operations.0.body',
    ],
  ])('a manifest that is %s stops start-up', async (name, content, message) => {
    const config = loadConfig({
      ...base,
      PERSISTED_QUERIES: 'safelist',
      PERSISTED_QUERIES_MANIFEST: manifestFile(`${name}.json`, content),
    });
    await expect(createApp(config)).rejects.toThrow(message);
  });
});
