import { createHash } from 'node:crypto';
import { generateToken } from '../src/auth/token';
import { startTestServer, type TestServer } from './helpers/app';
import { CREATE_TOKEN, PASSWORD, SIGN_UP, signUp, uniqueEmail } from './helpers/factories';

const VIEWER = /* GraphQL */ `
  query {
    viewer {
      id
      profile {
        email
        plan
        timezone
      }
    }
  }
`;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

async function rows(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  return server.em().getConnection().execute(sql, params);
}

function expectUnauthenticated(result: {
  data?: unknown;
  errors?: { extensions: Record<string, unknown> }[];
}) {
  expect(result.errors?.[0]?.extensions['code']).toBe('UNAUTHENTICATED');
  expect(result.data).toEqual({ viewer: null });
}

describe('signUp', () => {
  it('creates an account whose token authenticates the viewer', async () => {
    const email = uniqueEmail('Jane');
    const result = await server.graphql<{
      signUp: {
        token: string;
        accessToken: { id: string };
        viewer: { id: string; profile: Record<string, unknown> };
      };
    }>(SIGN_UP, { input: { email: email.toUpperCase(), password: PASSWORD, name: ' Jane Doe ' } });

    expect(result.errors).toBeUndefined();
    const { token, accessToken, viewer } = result.data!.signUp;
    expect(token).toMatch(/^acct_live_[0-9A-Za-z]{46}$/);
    expect(accessToken.id).toMatch(/^tok_[0-9A-Za-z]{22}$/);
    expect(viewer.id).toMatch(/^user_[0-9A-Za-z]{22}$/);
    expect(viewer.profile).toEqual({
      email: email.toLowerCase(),
      name: 'Jane Doe',
      plan: 'free',
      timezone: 'UTC',
    });

    const me = await server.graphql(VIEWER, {}, token);
    expect(me.errors).toBeUndefined();
    expect(me.data).toEqual({
      viewer: {
        id: viewer.id,
        profile: { email: email.toLowerCase(), plan: 'free', timezone: 'UTC' },
      },
    });
  });

  it('stores neither the password nor the token in plaintext', async () => {
    const password = 'Plaintext-Canary-42';
    const user = await signUp(server, { password });

    const [userRow] = await rows('select * from users where id = ?', [user.id]);
    const tokenRows = await rows('select * from access_tokens where user_id = ?', [user.id]);
    const stored = JSON.stringify([userRow, tokenRows]);
    expect(stored).not.toContain(password);
    expect(stored).not.toContain(user.token);
    // scrypt-kdf's self-describing hash: the "scrypt" header, base64-encoded
    expect(String(userRow?.['password_hash'])).toMatch(/^c2NyeXB0/);
    expect(tokenRows).toHaveLength(1);
    expect(tokenRows[0]?.['token_hash']).toBe(
      createHash('sha256').update(user.token).digest('hex'),
    );
  });

  it('refuses an email that exists in another casing, and keeps one account', async () => {
    const first = await signUp(server);
    const result = await server.graphql(SIGN_UP, {
      input: { email: first.email.toUpperCase(), password: PASSWORD, name: 'Copy' },
    });

    expect(result.errors?.[0]?.extensions).toEqual({ code: 'CONFLICT', field: 'email' });
    const count = await rows('select count(*)::int as n from users where email = ?', [first.email]);
    expect(count[0]?.['n']).toBe(1);
  });

  it('rejects an invalid email without creating anything', async () => {
    const result = await server.graphql(SIGN_UP, {
      input: { email: 'not-an-email', password: PASSWORD, name: 'Nobody' },
    });
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'email' });
    expect(await rows("select 1 from users where email = 'not-an-email'")).toHaveLength(0);
  });

  it('names the missing field when the input is incomplete', async () => {
    const result = await server.graphql(SIGN_UP, { input: { email: uniqueEmail(), name: 'X' } });
    expect(result.status).toBe(400);
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'password' });
  });
});

describe('createAccessToken', () => {
  it('issues a new working token for the right password', async () => {
    const user = await signUp(server);
    const result = await server.graphql<{
      createAccessToken: { token: string; accessToken: { name: string } };
    }>(CREATE_TOKEN, {
      input: { email: user.email.toUpperCase(), password: user.password, name: 'CI' },
    });
    expect(result.errors).toBeUndefined();
    const { token, accessToken } = result.data!.createAccessToken;
    expect(accessToken.name).toBe('CI');
    expect(token).not.toBe(user.token);
    const me = await server.graphql<{ viewer: { id: string } }>(VIEWER, {}, token);
    expect(me.data?.viewer.id).toBe(user.id);
  });

  it('answers a wrong password and an unknown email alike, issuing nothing', async () => {
    const user = await signUp(server);
    const wrong = await server.graphql(CREATE_TOKEN, {
      input: { email: user.email, password: 'Wrong-Passw0rd' },
    });
    const unknown = await server.graphql(CREATE_TOKEN, {
      input: { email: uniqueEmail('ghost'), password: 'Wrong-Passw0rd' },
    });

    for (const result of [wrong, unknown]) {
      expect(result.data).toBeNull();
      expect(result.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED' });
    }
    expect(wrong.errors?.[0]?.message).toBe(unknown.errors?.[0]?.message);
    expect(wrong.text).not.toContain('Wrong-Passw0rd');
    const tokens = await rows('select 1 from access_tokens where user_id = ?', [user.id]);
    expect(tokens).toHaveLength(1); // only the sign-up token
  });
});

describe('authentication', () => {
  it('rejects a missing token', async () => {
    expectUnauthenticated(await server.graphql(VIEWER));
  });

  it.each([
    ['garbage', 'garbage'],
    ['a well-formed token nobody was issued', generateToken()],
    ['a token with a broken checksum', `${generateToken().slice(0, -1)}x`],
  ])('rejects %s', async (_label, token) => {
    expectUnauthenticated(await server.graphql(VIEWER, {}, token));
  });

  it('rejects a scheme other than Bearer', async () => {
    const user = await signUp(server);
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${user.token}` },
      body: JSON.stringify({ query: VIEWER }),
    });
    expectUnauthenticated(
      (await response.json()) as {
        data: unknown;
        errors: { extensions: Record<string, unknown> }[];
      },
    );
  });
});

describe('revokeAccessToken', () => {
  const REVOKE = /* GraphQL */ `
    mutation Revoke($id: ID!) {
      revokeAccessToken(id: $id) {
        id
        name
      }
    }
  `;

  it('stops the revoked token at once and leaves the others working', async () => {
    const user = await signUp(server);
    const second = await server.graphql<{ createAccessToken: { token: string } }>(CREATE_TOKEN, {
      input: { email: user.email, password: user.password },
    });
    const other = second.data!.createAccessToken.token;

    const revoked = await server.graphql(REVOKE, { id: user.tokenId }, other);
    expect(revoked.errors).toBeUndefined();
    expect(revoked.data).toEqual({
      revokeAccessToken: { id: user.tokenId, name: 'Sign-up token' },
    });

    expectUnauthenticated(await server.graphql(VIEWER, {}, user.token));
    const stillThere = await server.graphql<{ viewer: { id: string } }>(VIEWER, {}, other);
    expect(stillThere.data?.viewer.id).toBe(user.id);
    const row = await rows('select revoked_at from access_tokens where id = ?', [user.tokenId]);
    expect(row[0]?.['revoked_at']).not.toBeNull();
  });

  it("answers NOT_FOUND for someone else's token and leaves it alone", async () => {
    const owner = await signUp(server);
    const intruder = await signUp(server);

    const result = await server.graphql(REVOKE, { id: owner.tokenId }, intruder.token);
    const missing = await server.graphql(
      REVOKE,
      { id: 'tok_doesNotExist0000000000' },
      intruder.token,
    );

    expect(result.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND' });
    expect(result.errors?.[0]?.message).toBe(missing.errors?.[0]?.message);
    const me = await server.graphql<{ viewer: { id: string } }>(VIEWER, {}, owner.token);
    expect(me.data?.viewer.id).toBe(owner.id);
  });

  it('needs authentication', async () => {
    const result = await server.graphql(REVOKE, { id: 'tok_x' });
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED' });
  });
});

describe('Viewer.accessTokens', () => {
  it('lists active tokens as metadata only', async () => {
    const user = await signUp(server);
    const result = await server.graphql<{
      viewer: {
        accessTokens: { id: string; name: string; createdAt: string; lastUsedAt: string | null }[];
      };
    }>('{ viewer { accessTokens { id name createdAt lastUsedAt } } }', {}, user.token);

    expect(result.errors).toBeUndefined();
    const [only, ...rest] = result.data!.viewer.accessTokens;
    expect(rest).toEqual([]);
    expect(only).toMatchObject({ id: user.tokenId, name: 'Sign-up token' });
    expect(new Date(only!.createdAt).toISOString()).toBe(only!.createdAt);
    expect(result.text).not.toContain(user.token);
  });
});
