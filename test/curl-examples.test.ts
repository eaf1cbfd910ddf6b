import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createScratchDatabase, startTestServer, type TestServer } from './helpers/app';
import { curlExamples, describeExample, runCurl, type CurlResult } from '../scripts/curl-examples';
import { signUp } from './helpers/factories';
import { ISO_SECONDS, USERS_PROFILE_KEYS } from './helpers/documents';
import { RestClient } from './helpers/rest';

/*
 * Every curl example of both API documents, executed by curl as written: only
 * the host and YOUR_API_KEY are replaced. The account is the documents' own
 * (jane@example.com, current password OldPassword123), in a database of its
 * own so the documented email is free.
 */

const examples = [...curlExamples('user-api.txt'), ...curlExamples('users-api.txt')];
type Body = Record<string, unknown>;

/** What each example must answer, by method and path. */
const EXPECTED: Record<string, (body: Body, result: CurlResult) => void> = {
  'GET /api/user/profile': (body) => {
    expect(body).toMatchObject({
      email: 'jane@example.com',
      timezone: expect.any(String) as unknown,
    });
    expect(Object.keys(body)).toEqual(
      expect.arrayContaining(['id', 'name', 'jobTitle', 'bio', 'avatar', 'preferredStyle']),
    );
  },
  'PATCH /api/user/profile': (body) => {
    expect(body).toMatchObject({
      name: 'Jane Smith',
      jobTitle: 'Product Manager',
      preferredStyle: 'comprehensive',
    });
  },
  'POST /api/user/api-keys': (body, result) => {
    expect(result.status).toBe(201);
    expect(Object.keys(body)).toEqual(['id', 'provider', 'name', 'createdAt']);
    expect(body).toMatchObject({ provider: 'openai', name: 'My OpenAI Key' });
    expect(body['id']).toMatch(/^key_/);
    expect(body['createdAt']).toMatch(ISO_SECONDS);
  },
  'PATCH /api/user/timezone': (body) => {
    expect(body).toEqual({ timezone: 'America/New_York' });
  },
  'POST /api/user/onboarding': (body) => {
    expect(body).toMatchObject({
      completed: true,
      preferences: {
        company: 'Acme Corp',
        useCase: 'Product requirements',
        teamSize: 'medium',
        prdStyle: 'comprehensive',
      },
    });
    expect(body['completedAt']).toMatch(ISO_SECONDS);
  },
  'GET /api/user/data-export': (body) => {
    expect(body).toMatchObject({ formatVersion: 1, profile: { email: 'jane@example.com' } });
  },
  'GET /api/users/profile': (body) => {
    expect(Object.keys(body)).toEqual(USERS_PROFILE_KEYS);
    expect(body['created_at']).toMatch(ISO_SECONDS);
  },
  'PATCH /api/users/profile': (body) => {
    expect(body).toMatchObject({
      full_name: 'John Smith',
      avatar_url: 'https://example.com/avatars/john-new.jpg',
    });
    expect(Object.keys(body)).toHaveLength(7);
  },
  'PATCH /api/users/password': (body) => {
    expect(body).toEqual({ message: 'Password changed successfully' });
  },
};

let server: TestServer;
let rest: RestClient;
let token: string;
let cwd: string;
beforeAll(async () => {
  server = await startTestServer({ DATABASE_URL: await createScratchDatabase() });
  rest = new RestClient(server);
  ({ token } = await signUp(server, {
    email: 'jane@example.com',
    password: 'OldPassword123',
    name: 'Jane',
  }));
  cwd = mkdtempSync(path.join(os.tmpdir(), 'curl-examples-'));
});
afterAll(async () => {
  rmSync(cwd, { recursive: true, force: true });
  await server.close();
});

describe('the curl examples of both documents', () => {
  it('are all found: 6 in the User API, 3 in the Users API', () => {
    expect(examples.filter((e) => e.document === 'user-api.txt')).toHaveLength(6);
    expect(examples.filter((e) => e.document === 'users-api.txt')).toHaveLength(3);
  });

  it.each(
    examples.map((example) => {
      const { method, path: route } = describeExample(example.command);
      return [`${method} ${route}`, example] as const;
    }),
  )('%s answers 2xx in the documented shape', async (_title, example) => {
    const result = await runCurl(example, server.url, token, cwd);
    const output = /-o (\S+)/.exec(example.command)?.[1];
    const body = JSON.parse(
      output ? readFileSync(path.join(cwd, output), 'utf8') : result.body,
    ) as Body;

    expect(result.status).toBeGreaterThanOrEqual(200);
    expect(result.status).toBeLessThan(300);
    await rest.validate(result.method, result.path, result.status, body);
    const expectation = EXPECTED[`${result.method} ${result.path}`];
    expect(expectation).toBeDefined();
    expectation!(body, result);
  });

  it('the new password of the password example works, and the documented delete body deletes the account', async () => {
    const signIn = await server.graphql<{ createAccessToken: { token: string } }>(
      'mutation { createAccessToken(input: {email: "jane@example.com", password: "NewPassword456"}) { token } }',
    );
    expect(signIn.errors).toBeUndefined();

    const deleted = await rest.request('DELETE', '/api/user/delete-account', {
      token,
      body: { confirmEmail: 'jane@example.com' },
    });
    expect(deleted.status).toBe(200);
    expect(await server.sql("select 1 from users where email = 'jane@example.com'")).toHaveLength(
      0,
    );
  });
});
