import { PasswordHasher } from '../src/modules/account/password-hasher';
import { startTestServer } from './helpers/app';
import { SIGN_UP, signUp, uniqueEmail } from './helpers/factories';

afterEach(() => {
  jest.restoreAllMocks();
});

describe('password hashing is bounded', () => {
  it('checks a password that is too long before any hashing', async () => {
    const server = await startTestServer();
    try {
      const hash = jest.spyOn(PasswordHasher.prototype, 'hash');
      const verify = jest.spyOn(PasswordHasher.prototype, 'verify');
      const huge = `Aa1${'x'.repeat(60_000)}`;
      const user = await signUp(server);
      hash.mockClear();
      const results = [
        await server.graphql(SIGN_UP, {
          input: { email: uniqueEmail(), password: huge, name: 'Big' },
        }),
        await server.graphql(
          'mutation($i: CreateAccessTokenInput!) { createAccessToken(input: $i) { token } }',
          { i: { email: user.email, password: huge } },
        ),
        await server.graphql(
          'mutation($i: ChangePasswordInput!) { changePassword(input: $i) { message } }',
          { i: { currentPassword: huge, newPassword: 'Fine-Passw0rd' } },
          user.token,
        ),
      ];
      for (const result of results) {
        expect(result.errors?.[0]?.extensions['code']).toBe('BAD_USER_INPUT');
        expect(result.text).not.toContain('xxxxxxxxxx');
      }
      expect(hash).not.toHaveBeenCalled();
      expect(verify).not.toHaveBeenCalled();
    } finally {
      await server.close();
    }
  });

  it('lets one hash run at a time here and answers the excess, after a short wait, with 503', async () => {
    // Production cost, one slot, a queue that gives up after 100 ms.
    const server = await startTestServer({
      SCRYPT_LOG_N: '14',
      SCRYPT_MAX_CONCURRENCY: '1',
      SCRYPT_QUEUE_TIMEOUT_MS: '100',
    });
    try {
      const emails = Array.from({ length: 8 }, () => uniqueEmail('burst'));
      const results = await Promise.all(
        emails.map((email) =>
          server.graphql(SIGN_UP, { input: { email, password: 'Sturdy-Passw0rd', name: 'B' } }),
        ),
      );
      const ok = results.filter((r) => r.errors === undefined);
      const unavailable = results.filter(
        (r) => r.errors?.[0]?.extensions['code'] === 'SERVICE_UNAVAILABLE',
      );
      expect(ok.length).toBeGreaterThanOrEqual(1);
      expect(unavailable.length).toBeGreaterThanOrEqual(1);
      expect(ok.length + unavailable.length).toBe(8);
      for (const result of unavailable) {
        expect(result.status).toBe(503);
        expect(Number(result.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      const rows = await server.sql<{ n: number }>(
        'select count(*)::int as n from users where email in (?)',
        [emails],
      );
      expect(rows[0]?.n).toBe(ok.length);
    } finally {
      await server.close();
    }
  });
});

describe('request size', () => {
  it('refuses a GraphQL body over 64 KiB with 413 in the GraphQL error format', async () => {
    const server = await startTestServer();
    try {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `{ __typename } # ${'x'.repeat(70_000)}` }),
      });
      expect(response.status).toBe(413);
      expect(await response.json()).toEqual({
        errors: [
          { message: 'The request body is too large.', extensions: { code: 'BAD_USER_INPUT' } },
        ],
      });
      const malformed = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query": ',
      });
      expect(malformed.status).toBe(400);
      expect(((await malformed.json()) as { errors: unknown[] }).errors).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
