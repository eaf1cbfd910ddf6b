import { PasswordHasher } from '../src/modules/account/password-hasher';
import { randomClientAddress, startTestServer, type TestServer } from './helpers/app';
import { CREATE_TOKEN, signUp } from './helpers/factories';
import { RestClient } from './helpers/rest';

/*
 * Throttles live in PostgreSQL: two server instances on one database share
 * them. Requests alternate between the instances to show it.
 */

// Small windows for the limits these tests exhaust; the others are the defaults.
const RATE_LIMITS = 'dataExport=3/3600,accountDeletion=2/3600,tokenCreation=3/3600';
let one: TestServer;
let two: TestServer;
beforeAll(async () => {
  one = await startTestServer({ RATE_LIMITS });
  two = await startTestServer({ RATE_LIMITS });
});
afterAll(async () => {
  await Promise.all([one.close(), two.close()]);
});
afterEach(() => {
  jest.restoreAllMocks();
});

const either = (i: number) => (i % 2 ? two : one);

function expectRateLimited(result: {
  status: number;
  headers: Headers;
  errors?: { extensions: Record<string, unknown> }[];
}) {
  expect(result.status).toBe(429);
  expect(result.errors?.[0]?.extensions['code']).toBe('RATE_LIMITED');
  expect(Number(result.headers.get('retry-after'))).toBeGreaterThan(0);
}

describe('failed password checks per account', () => {
  it('allows 5 attempts in 15 minutes, then refuses even the right password without checking it', async () => {
    const user = await signUp(one);
    for (let i = 0; i < 5; i++) {
      const wrong = await either(i).graphql(CREATE_TOKEN, {
        input: { email: user.email, password: `Wrong-Passw0rd-${i}` },
      });
      expect(wrong.errors?.[0]?.extensions['code']).toBe('UNAUTHENTICATED');
    }
    const verify = jest.spyOn(PasswordHasher.prototype, 'verify');
    const right = await two.graphql(CREATE_TOKEN, {
      input: { email: user.email, password: user.password },
    });
    expectRateLimited(right);
    expect(verify).not.toHaveBeenCalled();

    // changePassword draws on the same budget.
    const change = await one.graphql(
      'mutation($i: ChangePasswordInput!) { changePassword(input: $i) { message } }',
      { i: { currentPassword: user.password, newPassword: 'Other-Passw0rd' } },
      user.token,
    );
    expectRateLimited(change);
  });

  it('counts racing attempts exactly: 20 at once get at most 5 password checks', async () => {
    const user = await signUp(one);
    const verify = jest.spyOn(PasswordHasher.prototype, 'verify');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        either(i).graphql(CREATE_TOKEN, {
          input: { email: user.email, password: `Wrong-Passw0rd-${i}` },
        }),
      ),
    );
    const codes = results.map((r) => r.errors?.[0]?.extensions['code']);
    expect(codes.filter((c) => c === 'UNAUTHENTICATED')).toHaveLength(5);
    expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(15);
    expect(verify).toHaveBeenCalledTimes(5);
  });

  it('clears the count after a successful check', async () => {
    const user = await signUp(one);
    for (let i = 0; i < 4; i++) {
      await one.graphql(CREATE_TOKEN, {
        input: { email: user.email, password: `Wrong-Passw0rd-${i}` },
      });
    }
    const right = await one.graphql(CREATE_TOKEN, {
      input: { email: user.email, password: user.password },
    });
    expect(right.errors).toBeUndefined();
    for (let i = 0; i < 4; i++) {
      const wrong = await one.graphql(CREATE_TOKEN, {
        input: { email: user.email, password: `Wrong-Passw0rd-${i}` },
      });
      expect(wrong.errors?.[0]?.extensions['code']).toBe('UNAUTHENTICATED');
    }
  });
});

describe('failed authentication per client address', () => {
  it('answers 429 after 60 invalid tokens from one address, and 401 to other addresses', async () => {
    const address = randomClientAddress();
    for (let i = 0; i < 60; i++) {
      const result = await either(i).graphql('{ viewer { id } }', {}, `acct_live_invalid${i}`, {
        'x-forwarded-for': address,
      });
      expect(result.errors?.[0]?.extensions['code']).toBe('UNAUTHENTICATED');
    }
    const limited = await one.graphql('{ viewer { id } }', {}, 'acct_live_invalid', {
      'x-forwarded-for': address,
    });
    expectRateLimited(limited);

    const rest = await new RestClient(two).request<{ error: { code: string } }>(
      'GET',
      '/api/user/profile',
      {
        token: 'acct_live_invalid',
        headers: { 'x-forwarded-for': address },
      },
    );
    expect(rest.status).toBe(429);
    expect(rest.body.error.code).toBe('RATE_LIMITED');
    expect(Number(rest.headers.get('retry-after'))).toBeGreaterThan(0);

    const elsewhere = await one.graphql('{ viewer { id } }', {}, 'acct_live_invalid');
    expect(elsewhere.errors?.[0]?.extensions['code']).toBe('UNAUTHENTICATED');
    // A valid token from the blocked address still works: only failures are throttled.
    const user = await signUp(one);
    const valid = await one.graphql('{ viewer { id } }', {}, user.token, {
      'x-forwarded-for': address,
    });
    expect(valid.errors).toBeUndefined();
  });
});

describe('token creation, data export and account deletion per account', () => {
  it('limits access tokens issued', async () => {
    const user = await signUp(one, {});
    await one.sql("update users set plan = 'growth' where id = ?", [user.id]);
    for (let i = 0; i < 3; i++) {
      const created = await either(i).graphql(CREATE_TOKEN, {
        input: { email: user.email, password: user.password },
      });
      expect(created.errors).toBeUndefined();
    }
    expectRateLimited(
      await one.graphql(CREATE_TOKEN, { input: { email: user.email, password: user.password } }),
    );
  });

  it('counts every alias: three exports in one document use up a limit of 3', async () => {
    const user = await signUp(one);
    const result = await one.graphql<Record<string, unknown>>(
      'mutation { a: exportData b: exportData c: exportData }',
      {},
      user.token,
    );
    expect(result.errors).toBeUndefined();
    expect(Object.keys(result.data ?? {})).toEqual(['a', 'b', 'c']);

    expectRateLimited(await two.graphql('mutation { exportData }', {}, user.token));
    const rest = await new RestClient(one).request('GET', '/api/user/data-export', {
      token: user.token,
    });
    expect(rest.status).toBe(429);
    expect(Number(rest.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('limits deletion attempts', async () => {
    const user = await signUp(one);
    const DELETE = 'mutation($e: String!) { deleteAccount(confirmEmail: $e) { message } }';
    for (let i = 0; i < 2; i++) {
      const wrong = await either(i).graphql(DELETE, { e: `not-${user.email}` }, user.token);
      expect(wrong.errors?.[0]?.extensions['code']).toBe('BAD_USER_INPUT');
    }
    expectRateLimited(await one.graphql(DELETE, { e: user.email }, user.token));
    expect(await one.sql('select 1 from users where id = ?', [user.id])).toHaveLength(1);
  });
});

describe('sign-ups per client address', () => {
  it('allows 20 an hour from one address', async () => {
    const address = randomClientAddress();
    const headers = { 'x-forwarded-for': address };
    for (let i = 0; i < 20; i++) {
      const result = await either(i).graphql(
        'mutation($e: String!) { signUp(input: {email: $e, password: "Sturdy-Passw0rd", name: "N"}) { token } }',
        { e: `burst-${address}-${i}@example.com` },
        undefined,
        headers,
      );
      expect(result.errors).toBeUndefined();
    }
    const limited = await one.graphql(
      'mutation { signUp(input: {email: "one-too-many@example.com", password: "Sturdy-Passw0rd", name: "N"}) { token } }',
      {},
      undefined,
      headers,
    );
    expectRateLimited(limited);
    expect(
      await one.sql("select 1 from users where email = 'one-too-many@example.com'"),
    ).toHaveLength(0);
  });
});
