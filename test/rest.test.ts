import { startTestServer, type TestServer } from './helpers/app';
import { signUp, uniqueEmail, type SignedUp } from './helpers/factories';
import { ISO_SECONDS, ONBOARDING_EXAMPLE, USERS_PROFILE_KEYS } from './helpers/documents';
import { RestClient } from './helpers/rest';

let server: TestServer;
let rest: RestClient;
beforeAll(async () => {
  server = await startTestServer();
  rest = new RestClient(server);
});
afterAll(async () => {
  await server.close();
});

type Body = Record<string, unknown>;

/** Every documented path, with a body that makes it fail validation. */
const PATHS: { method: string; path: string; invalid?: { body: Body; field: string } }[] = [
  { method: 'GET', path: '/api/user/profile' },
  {
    method: 'PATCH',
    path: '/api/user/profile',
    invalid: { body: { avatar: 'not a url' }, field: 'avatar' },
  },
  { method: 'GET', path: '/api/user/api-keys' },
  {
    method: 'POST',
    path: '/api/user/api-keys',
    invalid: { body: { provider: 'mistral', key: 'sk-1234567890' }, field: 'provider' },
  },
  { method: 'DELETE', path: '/api/user/api-keys/key_0000000000000000000000' },
  {
    method: 'PATCH',
    path: '/api/user/timezone',
    invalid: { body: { timezone: 'IST' }, field: 'timezone' },
  },
  { method: 'GET', path: '/api/user/onboarding' },
  {
    method: 'POST',
    path: '/api/user/onboarding',
    invalid: { body: { ...ONBOARDING_EXAMPLE, teamSize: '' }, field: 'teamSize' },
  },
  { method: 'GET', path: '/api/user/onboarding-progress' },
  { method: 'POST', path: '/api/user/activity' },
  { method: 'GET', path: '/api/user/data-export' },
  {
    method: 'DELETE',
    path: '/api/user/delete-account',
    invalid: { body: { confirmEmail: 'wrong@example.com' }, field: 'confirmEmail' },
  },
  { method: 'GET', path: '/api/users/profile' },
  {
    method: 'PATCH',
    path: '/api/users/profile',
    invalid: { body: { avatar_url: 'ftp//broken' }, field: 'avatar_url' },
  },
  {
    method: 'PATCH',
    path: '/api/users/password',
    invalid: {
      body: { current_password: 'Wrong-Passw0rd', new_password: 'NewPassword456' },
      field: 'current_password',
    },
  },
];

describe('authentication on every path', () => {
  it.each(PATHS)(
    '$method $path answers 401 without a valid token',
    async ({ method, path, invalid }) => {
      for (const token of [undefined, 'acct_live_garbage']) {
        const response = await rest.request<{ error: Body }>(method, path, {
          ...(token ? { token } : {}),
          ...(invalid ? { body: invalid.body } : {}),
        });
        expect(response.status).toBe(401);
        expect(response.body.error['code']).toBe('UNAUTHENTICATED');
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
    },
  );
});

describe('invalid input on every path that takes input', () => {
  it.each(PATHS.filter((p) => p.invalid))(
    '$method $path answers 400 naming the field',
    async ({ method, path, invalid }) => {
      const user = await signUp(server);
      const response = await rest.request<{ error: Body }>(method, path, {
        token: user.token,
        body: invalid!.body,
      });
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({ code: 'BAD_USER_INPUT', field: invalid!.field });
    },
  );

  it("answers 404 for a key id that is not the viewer's", async () => {
    const user = await signUp(server);
    const response = await rest.request('DELETE', '/api/user/api-keys/key_0000000000000000000000', {
      token: user.token,
    });
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: { code: 'NOT_FOUND', message: 'API key not found.' } });
  });
});

describe('/api/user/* (camelCase)', () => {
  let user: SignedUp;
  beforeAll(async () => {
    user = await signUp(server, { name: 'Jane' });
  });

  it('GET and PATCH /api/user/profile', async () => {
    const patched = await rest.request<Body>('PATCH', '/api/user/profile', {
      token: user.token,
      body: {
        name: 'Jane Smith',
        jobTitle: 'Product Manager',
        bio: 'Specs',
        avatar: 'https://example.com/j.png',
        preferredStyle: 'comprehensive',
      },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      id: user.id,
      email: user.email,
      name: 'Jane Smith',
      jobTitle: 'Product Manager',
      bio: 'Specs',
      avatar: 'https://example.com/j.png',
      preferredStyle: 'comprehensive',
      timezone: 'UTC',
      plan: 'free',
    });
    expect(patched.body['createdAt']).toMatch(ISO_SECONDS);

    const cleared = await rest.request<Body>('PATCH', '/api/user/profile', {
      token: user.token,
      body: { bio: null },
    });
    expect(cleared.body).toMatchObject({ bio: null, name: 'Jane Smith' });
    const read = await rest.request<Body>('GET', '/api/user/profile', { token: user.token });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(cleared.body);
  });

  it('POST, GET and DELETE /api/user/api-keys', async () => {
    const added = await rest.request<Body>('POST', '/api/user/api-keys', {
      token: user.token,
      body: { provider: 'anthropic', key: 'sk-ant-api03-abcdefghijklmnop1234', name: 'Claude' },
    });
    expect(added.status).toBe(201);
    expect(Object.keys(added.body)).toEqual(['id', 'provider', 'name', 'createdAt']);
    expect(added.body).toMatchObject({ provider: 'anthropic', name: 'Claude' });
    expect(added.body['createdAt']).toMatch(ISO_SECONDS);

    const listed = await rest.request<{ keys: Body[] }>('GET', '/api/user/api-keys', {
      token: user.token,
    });
    expect(listed.body.keys).toEqual([
      expect.objectContaining({
        id: added.body['id'],
        maskedKey: 'sk-ant-api03-…1234',
        status: 'unverified',
      }),
    ]);
    expect(listed.text).not.toContain('abcdefghijklmnop');

    const removed = await rest.request('DELETE', `/api/user/api-keys/${String(added.body['id'])}`, {
      token: user.token,
    });
    expect(removed.status).toBe(204);
    expect(removed.text).toBe('');
    const after = await rest.request<{ keys: Body[] }>('GET', '/api/user/api-keys', {
      token: user.token,
    });
    expect(after.body.keys).toEqual([]);
  });

  it('PATCH /api/user/timezone', async () => {
    const response = await rest.request('PATCH', '/api/user/timezone', {
      token: user.token,
      body: { timezone: 'Asia/Calcutta' },
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ timezone: 'Asia/Kolkata' });
  });

  it('GET and POST /api/user/onboarding, GET /api/user/onboarding-progress', async () => {
    const fresh = await signUp(server);
    const before = await rest.request('GET', '/api/user/onboarding', { token: fresh.token });
    expect(before.body).toEqual({ completed: false, completedAt: null, preferences: null });

    const teammate = uniqueEmail('mate');
    const done = await rest.request<Body>('POST', '/api/user/onboarding', {
      token: fresh.token,
      body: { ...ONBOARDING_EXAMPLE, createOrg: true, orgName: 'Acme', inviteEmails: [teammate] },
    });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      completed: true,
      preferences: {
        company: 'Acme Corp',
        teamSize: 'medium',
        interests: ['ai-chat', 'templates', 'exports'],
      },
      organization: { name: 'Acme' },
      invitations: [{ email: teammate, status: 'pending' }],
    });
    expect(done.body['completedAt']).toMatch(ISO_SECONDS);

    const status = await rest.request<Body>('GET', '/api/user/onboarding', { token: fresh.token });
    expect(status.body).toEqual({
      completed: true,
      completedAt: done.body['completedAt'],
      preferences: done.body['preferences'],
    });

    const progress = await rest.request<Body>('GET', '/api/user/onboarding-progress', {
      token: fresh.token,
    });
    expect(progress.body).toMatchObject({
      completedCount: 3,
      totalCount: 5,
      percentComplete: 60,
      nextStep: { id: 'timezone' },
    });
    expect(progress.body['steps']).toHaveLength(5);
  });

  it('POST /api/user/activity answers 200 inside the window too', async () => {
    const first = await rest.request<Body>('POST', '/api/user/activity', { token: user.token });
    const second = await rest.request<Body>('POST', '/api/user/activity', { token: user.token });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.body['recorded']).toBe(true);
    expect(second.body).toEqual({ ...first.body, recorded: false });
    expect(first.body['nextRecordableAt']).toMatch(ISO_SECONDS);
  });

  it('GET /api/user/data-export is a JSON file download', async () => {
    const response = await rest.request<Body>('GET', '/api/user/data-export', {
      token: user.token,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('content-disposition')).toMatch(
      /^attachment; filename="account-export-user_[0-9A-Za-z]+-\d{4}-\d\d-\d\d\.json"$/,
    );
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.body).toMatchObject({ formatVersion: 1, profile: { id: user.id } });
    expect(response.body['exportedAt']).toMatch(ISO_SECONDS);
  });

  it('DELETE /api/user/delete-account with a JSON body', async () => {
    const doomed = await signUp(server);
    const response = await rest.request('DELETE', '/api/user/delete-account', {
      token: doomed.token,
      body: { confirmEmail: doomed.email.toUpperCase() },
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ message: 'Account deleted' });
    const after = await rest.request('GET', '/api/user/profile', { token: doomed.token });
    expect(after.status).toBe(401);
  });
});

describe('/api/users/* (snake_case)', () => {
  it('GET /api/users/profile has the seven documented fields, avatar_url null when unset', async () => {
    const user = await signUp(server, { name: 'John Doe' });
    const response = await rest.request<Body>('GET', '/api/users/profile', { token: user.token });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id: user.id,
      email: user.email,
      full_name: 'John Doe',
      avatar_url: null,
      email_verified: false,
      plan_id: 'free',
      created_at: expect.stringMatching(ISO_SECONDS) as unknown,
    });
    expect(Object.keys(response.body)).toEqual(USERS_PROFILE_KEYS);
  });

  it('PATCH /api/users/profile takes name and avatar_url, and refuses email', async () => {
    const user = await signUp(server);
    const response = await rest.request<Body>('PATCH', '/api/users/profile', {
      token: user.token,
      body: { name: 'John Smith', avatar_url: 'https://example.com/avatars/john-new.jpg' },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      full_name: 'John Smith',
      avatar_url: 'https://example.com/avatars/john-new.jpg',
    });

    const email = await rest.request<{ error: Body }>('PATCH', '/api/users/profile', {
      token: user.token,
      body: { email: 'new@example.com' },
    });
    expect(email.status).toBe(400);
    expect(email.body.error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'email' });
    const jobTitle = await rest.request<{ error: Body }>('PATCH', '/api/users/profile', {
      token: user.token,
      body: { job_title: 'PM' },
    });
    expect(jobTitle.body.error).toMatchObject({ field: 'job_title' });

    for (const [body, field] of [
      [{ name: '' }, 'name'],
      [{ name: 'n'.repeat(256) }, 'name'],
    ] as const) {
      const bad = await rest.request<{ error: Body }>('PATCH', '/api/users/profile', {
        token: user.token,
        body,
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error['field']).toBe(field);
    }
    const [row] = await server.sql('select name, avatar_url from users where id = ?', [user.id]);
    expect(row).toEqual({
      name: 'John Smith',
      avatar_url: 'https://example.com/avatars/john-new.jpg',
    });
  });

  it('PATCH /api/users/password', async () => {
    const user = await signUp(server, { password: 'OldPassword123' });
    const changed = await rest.request('PATCH', '/api/users/password', {
      token: user.token,
      body: { current_password: 'OldPassword123', new_password: 'NewPassword456' },
    });
    expect(changed.status).toBe(200);
    expect(changed.text).toBe('{"message":"Password changed successfully"}');

    const weak = await rest.request<{ error: Body }>('PATCH', '/api/users/password', {
      token: user.token,
      body: { current_password: 'NewPassword456', new_password: 'weakpass' },
    });
    expect(weak.status).toBe(400);
    expect(weak.body.error).toMatchObject({ field: 'new_password' });
    expect(weak.text).not.toContain('weakpass');
  });
});

describe('HTTP-level errors, in the same error format', () => {
  it('answers malformed JSON with 400', async () => {
    const user = await signUp(server);
    const response = await rest.request<{ error: Body }>('PATCH', '/api/user/profile', {
      token: user.token,
      rawBody: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringMatching(/not valid JSON/) as unknown,
    });
  });

  it('answers a body that is not an object with 400', async () => {
    const user = await signUp(server);
    const response = await rest.request<{ error: Body }>('PATCH', '/api/user/timezone', {
      token: user.token,
      body: ['UTC'],
    });
    expect(response.status).toBe(400);
    expect(response.body.error['code']).toBe('BAD_USER_INPUT');
  });

  it('answers a wrong content type with 415', async () => {
    const user = await signUp(server);
    const response = await rest.request<{ error: Body }>('PATCH', '/api/user/timezone', {
      token: user.token,
      rawBody: 'timezone=UTC',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.status).toBe(415);
    expect(response.body.error['code']).toBe('BAD_USER_INPUT');
  });

  it('answers an unknown field with 400 naming it', async () => {
    const user = await signUp(server);
    const response = await rest.request<{ error: Body }>('PATCH', '/api/user/timezone', {
      token: user.token,
      body: { timezone: 'UTC', zone: 'x' },
    });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'zone' });
  });

  it('answers a body over the size limit with 413', async () => {
    const user = await signUp(server);
    const response = await rest.request<{ error: Body }>('PATCH', '/api/user/profile', {
      token: user.token,
      body: { bio: 'x'.repeat(200_000) },
    });
    expect(response.status).toBe(413);
    expect(response.body.error['code']).toBe('BAD_USER_INPUT');
  });

  it('answers an unknown path with 404 and a wrong method with 405', async () => {
    const missing = await rest.request<{ error: Body }>('GET', '/api/user/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.body.error['code']).toBe('NOT_FOUND');

    const wrong = await rest.request<{ error: Body }>('PUT', '/api/user/profile', { body: {} });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD, PATCH');
    expect(wrong.body.error['code']).toBe('BAD_USER_INPUT');
  });
});
