import { Authenticator } from '../src/auth/authenticator';
import { PasswordHasher } from '../src/modules/account/password-hasher';
import { startTestServer, type TestServer } from './helpers/app';
import { PASSWORD, signUp } from './helpers/factories';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  jest.restoreAllMocks();
});

/** 8 fields deep: the limit. Organizations and their members refer to each other. */
const DEPTH_8 =
  '{ viewer { organizations { organization { members { nodes { organization { members { totalCount } } } } } } } }';
/** 9 fields deep: one more. */
const DEPTH_9 =
  '{ viewer { organizations { organization { members { nodes { organization { members { nodes { id } } } } } } } } }';

describe('GraphQL query limits', () => {
  it('rejects 50 aliased changePassword calls without a single password verification', async () => {
    const user = await signUp(server);
    const verify = jest.spyOn(PasswordHasher.prototype, 'verify');
    const calls = Array.from(
      { length: 50 },
      (_, i) =>
        `a${i}: changePassword(input: {currentPassword: "Guess-${i}x", newPassword: "New-Passw0rd-${i}"}) { message }`,
    );
    const result = await server.graphql(`mutation { ${calls.join('\n')} }`, {}, user.token);

    expect(result.status).toBe(400);
    expect(result.data).toBeUndefined();
    expect(result.errors?.[0]?.extensions['code']).toBe('BAD_USER_INPUT');
    expect(verify).not.toHaveBeenCalled();
    expect(
      await server.sql('select 1 from rate_limits where key like ?', [`%${user.id}`]),
    ).toHaveLength(0);
  });

  it('allows each password-checking or irreversible mutation once per document, fragments included', async () => {
    const user = await signUp(server);
    const verify = jest.spyOn(PasswordHasher.prototype, 'verify');
    const twice = await server.graphql(
      `mutation { ...A b: createAccessToken(input: {email: "${user.email}", password: "${PASSWORD}"}) { token } }
       fragment A on Mutation { a: createAccessToken(input: {email: "${user.email}", password: "${PASSWORD}"}) { token } }`,
    );
    expect(twice.status).toBe(400);
    expect(twice.errors?.[0]?.message).toBe('A request may call createAccessToken only once.');
    expect(verify).not.toHaveBeenCalled();

    const once = await server.graphql(
      `mutation { createAccessToken(input: {email: "${user.email}", password: "${PASSWORD}"}) { token } }`,
    );
    expect(once.errors).toBeUndefined();
  });

  it('rejects a query deeper than the limit without running any resolver', async () => {
    const user = await signUp(server);
    const authenticate = jest.spyOn(Authenticator.prototype, 'authenticate');

    const tooDeep = await server.graphql(DEPTH_9, {}, user.token);
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.errors?.[0]?.message).toMatch(/depth/i);
    expect(authenticate).not.toHaveBeenCalled();

    const deepest = await server.graphql(DEPTH_8, {}, user.token);
    expect(deepest.errors).toBeUndefined();
    expect(authenticate).toHaveBeenCalledTimes(1);
  });

  it('rejects too many aliases, directives or tokens', async () => {
    const aliases = Array.from({ length: 11 }, (_, i) => `a${i}: id`).join(' ');
    const directives = Array.from({ length: 21 }, () => '@include(if: true)').join(' ');
    const tokens = `{ ${Array.from({ length: 2100 }, () => '__typename').join(' ')} }`;
    for (const [query, message] of [
      [`{ viewer { ${aliases} } }`, /Aliases limit of 10 exceeded/],
      [`{ __typename ${directives} }`, /Directives limit of 20 exceeded/],
      [tokens, /more that 2000 tokens/],
    ] as const) {
      const result = await server.graphql(query);
      expect(result.status).toBe(400);
      expect(result.errors?.[0]?.extensions['code']).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0]?.message).toMatch(message);
    }
  });

  it('refuses batched requests', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
    });
    expect(response.status).toBe(400);
  });

  it('still suggests field names outside production', async () => {
    const result = await server.graphql('{ viewer { profil { id } } }');
    expect(result.errors?.[0]?.message).toMatch(/Did you mean "profile"/);
  });
});

describe('production mode', () => {
  let production: TestServer;
  beforeAll(async () => {
    production = await startTestServer({
      NODE_ENV: 'production',
      SCRYPT_LOG_N: '14',
      MAIL_TRANSPORT: 'log',
    });
  });
  afterAll(async () => {
    await production.close();
  });

  it('refuses introspection', async () => {
    const result = await production.graphql('{ __schema { types { name } } }');
    expect(result.status).toBe(400);
    expect(result.data).toBeUndefined();
    expect(result.errors?.[0]?.extensions['code']).toBe('BAD_USER_INPUT');
    expect(result.text).not.toMatch(/"types"/);
  });

  it('gives no field suggestion for a misspelt field', async () => {
    const result = await production.graphql('{ viewer { profil { id } } }');
    expect(result.status).toBe(400);
    expect(result.text).not.toMatch(/Did you mean/);
  });

  it('serves no Sandbox page', async () => {
    const response = await fetch(`${production.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.headers.get('content-type')).not.toMatch(/text\/html/);
    expect(await response.text()).not.toMatch(/sandbox/i);
  });

  it('refuses a mutation over GET, and a GET without a CSRF-safe header', async () => {
    const mutation = await fetch(
      `${production.url}/graphql?query=${encodeURIComponent('mutation { recordActivity { recorded } }')}`,
      { headers: { 'apollo-require-preflight': 'true' } },
    );
    expect(mutation.status).toBe(405);
    const simple = await fetch(
      `${production.url}/graphql?query=${encodeURIComponent('{ __typename }')}`,
    );
    expect(simple.status).toBe(400);
    expect(await simple.text()).toMatch(/CSRF/);
  });

  it('enables introspection only when configured to', async () => {
    const open = await startTestServer({
      NODE_ENV: 'production',
      SCRYPT_LOG_N: '14',
      MAIL_TRANSPORT: 'log',
      GRAPHQL_INTROSPECTION: 'true',
    });
    try {
      const result = await open.graphql<{ __schema: { queryType: { name: string } } }>(
        '{ __schema { queryType { name } } }',
      );
      expect(result.data?.__schema.queryType.name).toBe('Query');
    } finally {
      await open.close();
    }
  });
});
