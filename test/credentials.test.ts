import { isoSeconds } from '../src/common/time';
import { startTestServer, type TestServer } from './helpers/app';
import { PASSWORD, signUp, type SignedUp } from './helpers/factories';
import { RestClient } from './helpers/rest';

/*
 * Credentials the user controls: expiry, sign-out everywhere, a way in at the
 * plan limit, and sessions one can recognise. Clocks are moved in the
 * database (a token's expires_at), never by waiting. Scopes: scopes.test.ts.
 */

let a: TestServer;
let b: TestServer;
// Enough password attempts and token creations for the racing sign-ins below.
const RATE_LIMITS = 'passwordAttempts=200/900,tokenCreation=200/3600';
beforeAll(async () => {
  [a, b] = await Promise.all([startTestServer({ RATE_LIMITS }), startTestServer({ RATE_LIMITS })]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});

const SIGN_IN = /* GraphQL */ `
  mutation SignIn($input: CreateAccessTokenInput!) {
    createAccessToken(input: $input) {
      token
      accessToken {
        id
        createdAt
        expiresAt
        scopes
      }
    }
  }
`;
const VIEWER = '{ viewer { id } }';
const TOKENS = /* GraphQL */ `
  {
    viewer {
      accessTokens {
        id
        current
        lastUsedAt
        lastUsedIp
        lastUsedUserAgent
        expiresAt
      }
      planLimits {
        activeAccessTokens
      }
    }
  }
`;

interface Issued {
  token: string;
  accessToken: { id: string; createdAt: string; expiresAt: string | null; scopes: string[] };
}

type Errors = { errors?: { message: string; extensions: Record<string, unknown> }[] };
const code = (result: Errors) => result.errors?.[0]?.extensions['code'];

async function signIn(
  server: TestServer,
  user: SignedUp,
  extra: Record<string, unknown> = {},
): Promise<Issued> {
  const result = await server.graphql<{ createAccessToken: Issued }>(SIGN_IN, {
    input: { email: user.email, password: PASSWORD, ...extra },
  });
  if (!result.data?.createAccessToken) throw new Error(`sign-in failed: ${result.text}`);
  return result.data.createAccessToken;
}

async function growthUser(server: TestServer): Promise<SignedUp> {
  const user = await signUp(server);
  await server.sql("update users set plan = 'growth' where id = ?", [user.id]);
  return user;
}

const expire = (server: TestServer, tokenId: string) =>
  server.sql("update access_tokens set expires_at = now() - interval '1 second' where id = ?", [
    tokenId,
  ]);

const DAY_MS = 24 * 60 * 60 * 1000;

describe('token expiry', () => {
  it.each([
    ['DAYS_7', 7],
    ['DAYS_30', 30],
    ['DAYS_90', 90],
    ['DAYS_365', 365],
  ])(
    '%s: expires that many days after creation, then is refused on both faces',
    async (preset, days) => {
      const user = await growthUser(a);
      const issued = await signIn(a, user, { expiresIn: preset });
      const { createdAt, expiresAt } = issued.accessToken;
      expect(new Date(expiresAt!).getTime() - new Date(createdAt).getTime()).toBeGreaterThan(
        days * DAY_MS - 60_000,
      );
      expect(new Date(expiresAt!).getTime() - new Date(createdAt).getTime()).toBeLessThan(
        days * DAY_MS + 60_000,
      );

      // Before: it works, and says when it expires (ISO 8601), on both faces.
      const before = await a.graphql(VIEWER, {}, issued.token);
      expect(before.errors).toBeUndefined();
      expect(before.headers.get('access-token-expires-at')).toBe(isoSeconds(new Date(expiresAt!)));
      const rest = new RestClient(a);
      const restBefore = await rest.request('GET', '/api/user/profile', { token: issued.token });
      expect(restBefore.status).toBe(200);
      expect(restBefore.headers.get('access-token-expires-at')).toBe(
        isoSeconds(new Date(expiresAt!)),
      );

      await expire(a, issued.accessToken.id);

      const graphql = await a.graphql(VIEWER, {}, issued.token);
      expect(graphql.errors?.[0]?.extensions).toEqual({
        code: 'UNAUTHENTICATED',
        reason: 'TOKEN_EXPIRED',
      });
      expect(graphql.data?.['viewer'] ?? null).toBeNull();
      const refused = await rest.request('GET', '/api/user/profile', { token: issued.token });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe(
        'Bearer error="invalid_token", error_description="The access token expired"',
      );
      expect(refused.body).toEqual({
        error: {
          code: 'UNAUTHENTICATED',
          message: expect.stringMatching(/expired/) as unknown,
          reason: 'TOKEN_EXPIRED',
        },
      });
      // The other face too, on another instance.
      const onB = await new RestClient(b).request('PATCH', '/api/user/timezone', {
        token: issued.token,
        body: { timezone: 'Europe/Paris' },
      });
      expect(onB.status).toBe(401);
      expect(
        (await a.sql('select timezone from users where id = ?', [user.id]))[0]?.['timezone'],
      ).not.toBe('Europe/Paris');
    },
  );

  it('NEVER (the default) gives a token without expiry and without the header', async () => {
    const user = await growthUser(a);
    for (const extra of [{}, { expiresIn: 'NEVER' }]) {
      const issued = await signIn(a, user, extra);
      expect(issued.accessToken.expiresAt).toBeNull();
      const answer = await a.graphql(VIEWER, {}, issued.token);
      expect(answer.errors).toBeUndefined();
      expect(answer.headers.get('access-token-expires-at')).toBeNull();
    }
  });

  it('an expired token no longer counts toward the plan limit, nor is listed', async () => {
    const user = await signUp(a); // free: 2 active tokens
    const second = await signIn(a, user);
    expect(
      code(await a.graphql(SIGN_IN, { input: { email: user.email, password: PASSWORD } })),
    ).toBe('PLAN_LIMIT_EXCEEDED');
    await expire(a, second.accessToken.id);

    const third = await signIn(a, user);
    const listed = await a.graphql<{
      viewer: { accessTokens: { id: string }[]; planLimits: { activeAccessTokens: number } };
    }>(TOKENS, {}, third.token);
    expect(listed.data?.viewer.accessTokens.map((t) => t.id).sort()).toEqual(
      [user.tokenId, third.accessToken.id].sort(),
    );
    expect(listed.data?.viewer.planLimits.activeAccessTokens).toBe(2);
  });

  it('a server with ACCESS_TOKEN_MAX_DAYS caps lifetimes and refuses NEVER', async () => {
    const capped = await startTestServer({ ACCESS_TOKEN_MAX_DAYS: '30', RATE_LIMITS });
    try {
      const user = await growthUser(capped);
      const lifetime = (issued: Issued) =>
        new Date(issued.accessToken.expiresAt!).getTime() -
        new Date(issued.accessToken.createdAt).getTime();

      expect(Math.round(lifetime(await signIn(capped, user)) / DAY_MS)).toBe(30);
      expect(
        Math.round(lifetime(await signIn(capped, user, { expiresIn: 'DAYS_365' })) / DAY_MS),
      ).toBe(30);
      expect(
        Math.round(lifetime(await signIn(capped, user, { expiresIn: 'DAYS_7' })) / DAY_MS),
      ).toBe(7);

      const before = await capped.sql(
        'select count(*)::int as n from access_tokens where user_id = ?',
        [user.id],
      );
      const never = await capped.graphql(SIGN_IN, {
        input: { email: user.email, password: PASSWORD, expiresIn: 'NEVER' },
      });
      expect(never.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'expiresIn' });
      const after = await capped.sql(
        'select count(*)::int as n from access_tokens where user_id = ?',
        [user.id],
      );
      expect(after).toEqual(before);
    } finally {
      await capped.close();
    }
  });
});

describe('sign-out everywhere', () => {
  it('revokeOtherAccessTokens keeps the caller and kills every other token at once on another instance', async () => {
    const user = await growthUser(a);
    const others = [await signIn(a, user), await signIn(b, user)];
    const keep = await signIn(a, user);
    for (const token of [user.token, ...others.map((o) => o.token), keep.token]) {
      expect((await b.graphql(VIEWER, {}, token)).errors).toBeUndefined();
    }

    const revoked = await a.graphql<{ revokeOtherAccessTokens: { revokedCount: number } }>(
      'mutation { revokeOtherAccessTokens { revokedCount } }',
      {},
      keep.token,
    );
    expect(revoked.errors).toBeUndefined();
    expect(revoked.data?.revokeOtherAccessTokens.revokedCount).toBe(3);

    for (const token of [user.token, ...others.map((o) => o.token)]) {
      expect(code(await b.graphql(VIEWER, {}, token))).toBe('UNAUTHENTICATED');
      expect((await new RestClient(b).request('GET', '/api/user/profile', { token })).status).toBe(
        401,
      );
    }
    const listed = await b.graphql<{
      viewer: { accessTokens: { id: string; current: boolean }[] };
    }>(TOKENS, {}, keep.token);
    expect(listed.data?.viewer.accessTokens).toEqual([
      expect.objectContaining({ id: keep.accessToken.id, current: true }),
    ]);
  });

  it('changePassword with revokeOtherTokens revokes the others with the change; without, they stay', async () => {
    const user = await growthUser(a);
    const other = await signIn(a, user);
    const CHANGE = /* GraphQL */ `
      mutation Change($input: ChangePasswordInput!) {
        changePassword(input: $input) {
          message
        }
      }
    `;
    const kept = await a.graphql(
      CHANGE,
      { input: { currentPassword: PASSWORD, newPassword: 'Second-Passw0rd' } },
      user.token,
    );
    expect(kept.errors).toBeUndefined();
    expect((await b.graphql(VIEWER, {}, other.token)).errors).toBeUndefined();

    const changed = await a.graphql(
      CHANGE,
      {
        input: {
          currentPassword: 'Second-Passw0rd',
          newPassword: 'Third-Passw0rd',
          revokeOtherTokens: true,
        },
      },
      user.token,
    );
    expect(changed.errors).toBeUndefined();
    expect(code(await b.graphql(VIEWER, {}, other.token))).toBe('UNAUTHENTICATED');
    expect((await b.graphql(VIEWER, {}, user.token)).errors).toBeUndefined();
    // The new password is the one that signs in.
    const signedIn = await a.graphql(SIGN_IN, {
      input: { email: user.email, password: 'Third-Passw0rd' },
    });
    expect(signedIn.errors).toBeUndefined();
  });

  it('a wrong current password with revokeOtherTokens changes nothing', async () => {
    const user = await growthUser(a);
    const other = await signIn(a, user);
    const refused = await a.graphql(
      'mutation($input: ChangePasswordInput!) { changePassword(input: $input) { message } }',
      {
        input: {
          currentPassword: 'Wrong-Passw0rd',
          newPassword: 'Other-Passw0rd1',
          revokeOtherTokens: true,
        },
      },
      user.token,
    );
    expect(refused.errors?.[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'currentPassword',
    });
    expect((await a.graphql(VIEWER, {}, other.token)).errors).toBeUndefined();
  });

  it('the legacy PATCH /api/users/password keeps its documented body and behaviour', async () => {
    const user = await growthUser(a);
    const other = await signIn(a, user);
    const rest = new RestClient(a);
    const extra = await rest.request('PATCH', '/api/users/password', {
      token: user.token,
      body: {
        current_password: PASSWORD,
        new_password: 'Legacy-Passw0rd',
        revoke_other_tokens: true,
      },
    });
    expect(extra.status).toBe(400);
    const changed = await rest.request('PATCH', '/api/users/password', {
      token: user.token,
      body: { current_password: PASSWORD, new_password: 'Legacy-Passw0rd' },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toEqual({ message: 'Password changed successfully' });
    expect((await a.graphql(VIEWER, {}, other.token)).errors).toBeUndefined();
  });
});

describe('no lockout at the plan limit', () => {
  it('without the option, PLAN_LIMIT_EXCEEDED says how to get in', async () => {
    const user = await signUp(a);
    await signIn(a, user);
    const refused = await a.graphql(SIGN_IN, { input: { email: user.email, password: PASSWORD } });
    expect(refused.errors?.[0]?.extensions).toEqual({ code: 'PLAN_LIMIT_EXCEEDED' });
    expect(refused.errors?.[0]?.message).toMatch(/revokeLeastRecentlyUsed: true/);
  });

  it('revokeLeastRecentlyUsed revokes the least recently used token, in the same transaction', async () => {
    const user = await signUp(a); // holds the sign-up token
    const second = await signIn(a, user);
    // The sign-up token was used recently, the second one long ago.
    await a.sql("update access_tokens set last_used_at = now() - interval '1 day' where id = ?", [
      second.accessToken.id,
    ]);
    await a.sql('update access_tokens set last_used_at = now() where id = ?', [user.tokenId]);

    const third = await signIn(a, user, { revokeLeastRecentlyUsed: true });
    const rows = await a.sql<{ id: string; revoked: boolean }>(
      'select id, revoked_at is not null as revoked from access_tokens where user_id = ? order by created_at',
      [user.id],
    );
    expect(rows).toEqual([
      { id: user.tokenId, revoked: false },
      { id: second.accessToken.id, revoked: true },
      { id: third.accessToken.id, revoked: false },
    ]);
    expect(code(await a.graphql(VIEWER, {}, second.token))).toBe('UNAUTHENTICATED');
  });

  it('a user holding no token gets in under 12 racing sign-ins on two instances, and the limit holds', async () => {
    const user = await signUp(a); // free plan: 2 tokens
    await signIn(a, user); // at the limit; both tokens are "lost"
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 ? b : a).graphql<{ createAccessToken: Issued }>(SIGN_IN, {
          input: { email: user.email, password: PASSWORD, revokeLeastRecentlyUsed: true },
        }),
      ),
    );
    expect(results.map((r) => r.errors?.[0]?.extensions['code'] ?? 'OK')).toEqual(
      Array(12).fill('OK'),
    );
    const active = await a.sql<{ id: string }>(
      'select id from access_tokens where user_id = ? and revoked_at is null',
      [user.id],
    );
    expect(active).toHaveLength(2);
    // The survivors are two of the new ones, and they work.
    const issued = new Map(results.map((r) => [r.data!.createAccessToken.accessToken.id, r]));
    for (const { id } of active) {
      expect(issued.has(id)).toBe(true);
      const token = issued.get(id)!.data!.createAccessToken.token;
      expect((await b.graphql(VIEWER, {}, token)).errors).toBeUndefined();
    }
  });
});

describe('sessions one can recognise', () => {
  it('shows the current token, the truncated address and the user agent of the last use', async () => {
    const user = await growthUser(a);
    const phone = await signIn(a, user);
    const longAgent = `Mozilla/5.0 ${'x'.repeat(300)}`;
    await a.graphql(VIEWER, {}, phone.token, {
      'x-forwarded-for': '203.0.113.77',
      'user-agent': longAgent,
    });
    await a.graphql(VIEWER, {}, user.token, {
      'x-forwarded-for': '2001:db8:1234:5678::1',
      'user-agent': 'curl/8.5.0',
    });
    await a.app.deps.tokenUsage.flush();

    const listed = await a.graphql<{
      viewer: {
        accessTokens: {
          id: string;
          current: boolean;
          lastUsedIp: string | null;
          lastUsedUserAgent: string | null;
        }[];
      };
    }>(TOKENS, {}, phone.token);
    const byId = new Map(listed.data!.viewer.accessTokens.map((t) => [t.id, t]));
    expect(byId.get(phone.accessToken.id)).toMatchObject({
      current: true,
      lastUsedIp: '203.0.113.0/24',
      lastUsedUserAgent: longAgent.slice(0, 200),
    });
    expect(byId.get(user.tokenId)).toMatchObject({
      current: false,
      lastUsedIp: '2001:db8:1234::/48',
      lastUsedUserAgent: 'curl/8.5.0',
    });
    // Nothing more of the address is stored anywhere on the token.
    const stored = await a.sql('select last_used_ip from access_tokens where id = ?', [
      phone.accessToken.id,
    ]);
    expect(JSON.stringify(stored)).not.toContain('203.0.113.77');
  });
});
