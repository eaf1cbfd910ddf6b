import { randomBytes } from 'node:crypto';
import { startTestServer, type TestServer } from './helpers/app';
import { signUp, type SignedUp } from './helpers/factories';
import { FakeProvider, type FakeProviderId } from './helpers/fake-provider';
import { RestClient } from './helpers/rest';
import { freePort } from '../scripts/free-port';
import { until } from './helpers/until';

/**
 * Provider keys checked against the providers, end to end: the real server
 * with validation on, its PROVIDER_*_URL pointing at a fake provider (a real
 * HTTP server on a free port), and everything the server logs collected.
 */

const KEY_FIELDS = 'id provider name maskedKey status statusReason lastValidatedAt';
const ADD = `mutation Add($input: AddApiKeyInput!) { addApiKey(input: $input) { ${KEY_FIELDS} } }`;
const VALIDATE = `mutation Validate($id: ID!) { validateApiKey(id: $id) { ${KEY_FIELDS} } }`;
const LIST = `{ viewer { apiKeys { ${KEY_FIELDS} } } }`;

interface KeyView {
  id: string;
  provider: string;
  name: string | null;
  maskedKey: string | null;
  status: string;
  statusReason: string | null;
  lastValidatedAt: string | null;
}

const PROVIDERS: FakeProviderId[] = ['openai', 'anthropic', 'gemini'];
const token = (length: number) =>
  randomBytes(length).toString('base64url').slice(0, length).replace(/^-/, 'x');
const keyOf: Record<FakeProviderId, () => string> = {
  openai: () => `sk-proj-${token(48)}`,
  anthropic: () => `sk-ant-api03-${token(93)}AA`,
  gemini: () => `AQ.Ab8${token(50)}`,
};

/** Check deadline of the test server: generous, the machine is shared. */
const TIMEOUT_MS = 2_000;
/** Checks per account (adds and validations) the test server allows. */
const CHECKS_PER_ACCOUNT = 4;

let fake: FakeProvider;
let elsewhere: FakeProvider;
let server: TestServer;
let rest: RestClient;
const logLines: string[] = [];
/** Every key this file sent: none may appear in any log line. */
const sentKeys: string[] = [];

beforeAll(async () => {
  fake = await FakeProvider.start();
  elsewhere = await FakeProvider.start();
  const urls = fake.baseUrls();
  server = await startTestServer(
    {
      LOG_LEVEL: 'info',
      VALIDATE_PROVIDER_KEYS: 'true',
      PROVIDER_OPENAI_URL: urls.openai,
      PROVIDER_ANTHROPIC_URL: urls.anthropic,
      PROVIDER_GEMINI_URL: urls.gemini,
      PROVIDER_KEY_CHECK_TIMEOUT_MS: String(TIMEOUT_MS),
      PROVIDER_KEY_CHECK_CONCURRENCY: '2',
      RATE_LIMITS: `providerKeyChecks=${CHECKS_PER_ACCOUNT}/3600`,
    },
    { logLines },
  );
  rest = new RestClient(server);
});
afterAll(async () => {
  await server.close();
  await fake.close();
  await elsewhere.close();
});

function newKey(provider: FakeProviderId): string {
  const key = keyOf[provider]();
  sentKeys.push(key);
  return key;
}

async function add(user: SignedUp, provider: FakeProviderId, key: string) {
  return server.graphql<{ addApiKey: KeyView }>(ADD, { input: { provider, key } }, user.token);
}

async function validate(user: SignedUp, id: string) {
  return server.graphql<{ validateApiKey: KeyView }>(VALIDATE, { id }, user.token);
}

async function rows(user: SignedUp) {
  return server.sql<{
    id: string;
    provider: string;
    check_status: string;
    status_reason: string | null;
    last_validated_at: Date | null;
  }>(
    'select id, provider, check_status, status_reason, last_validated_at from api_keys where user_id = ? order by provider',
    [user.id],
  );
}

const requestsWith = (key: string) => fake.requests.filter((request) => request.key === key);

describe('adding a key with validation on', () => {
  it.each(PROVIDERS)('%s: a key the provider accepts is stored valid', async (provider) => {
    const user = await signUp(server);
    const key = newKey(provider);

    const result = await add(user, provider, key);

    expect(result.errors).toBeUndefined();
    expect(result.data!.addApiKey).toMatchObject({
      provider,
      status: 'valid',
      statusReason: null,
      lastValidatedAt: expect.any(String) as unknown,
    });
    expect(requestsWith(key)).toHaveLength(1);
    expect(await rows(user)).toEqual([
      expect.objectContaining({ check_status: 'valid', status_reason: null }),
    ]);
    const listed = await server.graphql<{ viewer: { apiKeys: KeyView[] } }>(LIST, {}, user.token);
    expect(listed.data!.viewer.apiKeys).toEqual([result.data!.addApiKey]);
  });

  it.each(PROVIDERS)(
    '%s: a key the provider rejects is refused, and the key stored before stays',
    async (provider) => {
      const user = await signUp(server);
      const kept = await add(user, provider, newKey(provider));
      const key = newKey(provider);
      fake.onKey(key, { kind: 'reject' });

      const result = await add(user, provider, key);

      expect(result.data).toBeNull();
      expect(result.errors?.[0]?.extensions).toEqual({
        code: 'BAD_USER_INPUT',
        field: 'key',
        reason: 'PROVIDER_REJECTED_KEY',
      });
      expect(result.errors?.[0]?.message).toMatch(/did not accept this key/);
      expect(requestsWith(key)).toHaveLength(1);
      expect(result.text).not.toContain(key.slice(-4));
      expect(result.text).not.toMatch(/Incorrect API key|API key not valid|invalid x-api-key/);
      expect(await rows(user)).toEqual([
        expect.objectContaining({ id: kept.data!.addApiKey.id, check_status: 'valid' }),
      ]);
    },
  );

  it('a 403 is a refusal too, said as such', async () => {
    const user = await signUp(server);
    const key = newKey('anthropic');
    fake.onKey(key, { kind: 'status', status: 403, body: { type: 'error' } });
    const result = await add(user, 'anthropic', key);
    expect(result.errors?.[0]?.extensions).toMatchObject({ reason: 'PROVIDER_REJECTED_KEY' });
    expect(result.errors?.[0]?.message).toMatch(/refused it access/);
    expect(await rows(user)).toEqual([]);
  });

  it.each([
    ['openai', () => `sk-ant-api03-${token(93)}AA`, /Anthropic key.*provider "anthropic"/],
    ['anthropic', () => `sk-proj-${token(48)}`, /OpenAI key.*provider "openai"/],
    ['gemini', () => `sk-ant-api03-${token(93)}AA`, /Anthropic key/],
    ['openai', () => `AQ.Ab8${token(50)}`, /Gemini key/],
    ['anthropic', () => `sk-ant-admin01-${token(93)}AA`, /admin key/],
  ] as const)(
    'a key filed under %s that belongs elsewhere is refused before any request',
    async (provider, makeKey, message) => {
      const user = await signUp(server);
      const key = makeKey();
      sentKeys.push(key);
      const before = fake.requests.length;

      const result = await add(user, provider, key);

      expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'key' });
      expect(result.errors?.[0]?.message).toMatch(message);
      expect(result.text).not.toContain(key);
      expect(fake.requests.length).toBe(before);
      expect(await rows(user)).toEqual([]);
    },
  );

  it.each([
    ['429', { kind: 'status', status: 429 }, 'RATE_LIMITED'],
    ['500', { kind: 'status', status: 500 }, 'PROVIDER_ERROR'],
    ['a redirect', { kind: 'redirect', location: 'ELSEWHERE' }, 'REDIRECT'],
  ] as const)(
    'a provider answering %s does not block: the key is stored unverified',
    async (_name, behaviour, reason) => {
      const user = await signUp(server);
      const key = newKey('openai');
      fake.onKey(
        key,
        behaviour.kind === 'redirect'
          ? { kind: 'redirect', location: `${elsewhere.baseUrl('openai')}/models` }
          : behaviour,
      );

      const result = await add(user, 'openai', key);

      expect(result.errors).toBeUndefined();
      expect(result.data!.addApiKey).toMatchObject({
        status: 'unverified',
        statusReason: reason,
        lastValidatedAt: null,
      });
      expect(await rows(user)).toEqual([
        expect.objectContaining({ check_status: 'unverified', status_reason: reason }),
      ]);
      expect(elsewhere.requests).toEqual([]);
    },
  );

  it('a provider that hangs is given up at the timeout and the key stored unverified', async () => {
    const user = await signUp(server);
    const key = newKey('gemini');
    fake.onKey(key, { kind: 'hang' });
    const started = Date.now();

    const result = await add(user, 'gemini', key);

    // Generous: the deadline plus whatever a busy machine adds.
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 10_000);
    expect(result.data!.addApiKey).toMatchObject({
      status: 'unverified',
      statusReason: 'TIMEOUT',
    });
  });

  it('at most PROVIDER_KEY_CHECK_CONCURRENCY checks run at once; the others store unverified BUSY', async () => {
    fake.reset(); // counts in-flight requests from here
    const users = await Promise.all(Array.from({ length: 5 }, () => signUp(server)));
    const keys = users.map(() => newKey('anthropic'));
    for (const key of keys) fake.onKey(key, { kind: 'hang' });

    const results = await Promise.all(users.map((user, i) => add(user, 'anthropic', keys[i]!)));

    const reasons = results.map((r) => r.data?.addApiKey.statusReason);
    expect(fake.maxInFlight).toBeLessThanOrEqual(2);
    // Those that got a slot timed out at the provider; the others gave up waiting for one.
    const reached = keys.filter((key) => requestsWith(key).length > 0).length;
    expect(reasons.filter((r) => r === 'TIMEOUT')).toHaveLength(reached);
    expect(reasons.filter((r) => r === 'BUSY')).toHaveLength(5 - reached);
    expect(reached).toBeLessThan(5);
    for (const user of users) {
      expect(await rows(user)).toEqual([expect.objectContaining({ check_status: 'unverified' })]);
    }
  });
});

describe('validateApiKey', () => {
  it('turns an unverified key valid once the provider answers, and invalid once it refuses', async () => {
    const user = await signUp(server);
    const key = newKey('openai');
    fake.onKey(key, { kind: 'status', status: 503 });
    const added = (await add(user, 'openai', key)).data!.addApiKey;
    expect(added).toMatchObject({ status: 'unverified', statusReason: 'PROVIDER_ERROR' });

    fake.onKey(key, { kind: 'accept' });
    const valid = await validate(user, added.id);
    expect(valid.errors).toBeUndefined();
    expect(valid.data!.validateApiKey).toMatchObject({
      id: added.id,
      status: 'valid',
      statusReason: null,
      maskedKey: `sk-proj-…${key.slice(-4)}`,
    });
    const validatedAt = valid.data!.validateApiKey.lastValidatedAt;
    expect(validatedAt).toEqual(expect.any(String));

    fake.onKey(key, { kind: 'reject' });
    const invalid = await validate(user, added.id);
    expect(invalid.data!.validateApiKey).toMatchObject({
      status: 'invalid',
      statusReason: 'AUTHENTICATION_FAILED',
    });
    expect(await rows(user)).toEqual([
      expect.objectContaining({
        id: added.id,
        check_status: 'invalid',
        status_reason: 'AUTHENTICATION_FAILED',
      }),
    ]);
    expect(requestsWith(key)).toHaveLength(3);
    expect(invalid.text).not.toMatch(/Incorrect API key/);
  });

  it('an unanswered re-check says why and keeps when the provider last answered', async () => {
    const user = await signUp(server);
    const key = newKey('gemini');
    const added = (await add(user, 'gemini', key)).data!.addApiKey;
    fake.onKey(key, { kind: 'status', status: 429 });

    const result = await validate(user, added.id);

    expect(result.data!.validateApiKey).toMatchObject({
      status: 'unverified',
      statusReason: 'RATE_LIMITED',
      lastValidatedAt: added.lastValidatedAt,
    });
  });

  it("is NOT_FOUND for another user's key, and sends nothing", async () => {
    const owner = await signUp(server);
    const other = await signUp(server);
    const key = newKey('anthropic');
    const added = (await add(owner, 'anthropic', key)).data!.addApiKey;

    const result = await validate(other, added.id);

    expect(result.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND' });
    expect(requestsWith(key)).toHaveLength(1);
  });

  it('answers unreadable for a key that no longer decrypts, without any request', async () => {
    const user = await signUp(server);
    const key = newKey('openai');
    const added = (await add(user, 'openai', key)).data!.addApiKey;
    await server.sql(
      'update api_keys set auth_tag = set_byte(auth_tag, 0, get_byte(auth_tag, 0) # 255) where id = ?',
      [added.id],
    );

    const result = await validate(user, added.id);

    expect(result.data!.validateApiKey).toMatchObject({ status: 'unreadable', maskedKey: null });
    expect(requestsWith(key)).toHaveLength(1);
  });

  it('does not write its result over a key that replaced the one it checked', async () => {
    const user = await signUp(server);
    const old = newKey('anthropic');
    const first = (await add(user, 'anthropic', old)).data!.addApiKey;
    fake.onKey(old, { kind: 'hang' });

    const checking = validate(user, first.id);
    await until(() => requestsWith(old).length === 2);
    const replacement = (await add(user, 'anthropic', newKey('anthropic'))).data!.addApiKey;
    const result = await checking;

    expect(result.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND' });
    expect(await rows(user)).toEqual([
      expect.objectContaining({ id: replacement.id, check_status: 'valid', status_reason: null }),
    ]);
  });

  it('is limited per account, counting adds too', async () => {
    const user = await signUp(server);
    const key = newKey('gemini');
    const added = (await add(user, 'gemini', key)).data!.addApiKey;
    for (let i = 1; i < CHECKS_PER_ACCOUNT; i++) {
      expect((await validate(user, added.id)).errors).toBeUndefined();
    }

    const limited = await validate(user, added.id);

    expect(limited.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect(requestsWith(key)).toHaveLength(CHECKS_PER_ACCOUNT);
    // Another account is not affected.
    const other = await signUp(server);
    expect((await add(other, 'gemini', newKey('gemini'))).errors).toBeUndefined();
  });
});

describe('an unreachable provider', () => {
  it('stores the key unverified (NETWORK_ERROR), quickly', async () => {
    const port = await freePort();
    const own = await startTestServer({
      VALIDATE_PROVIDER_KEYS: 'true',
      PROVIDER_OPENAI_URL: `http://127.0.0.1:${port}/v1`,
      PROVIDER_ANTHROPIC_URL: `http://127.0.0.1:${port}/v1`,
      PROVIDER_GEMINI_URL: `http://127.0.0.1:${port}/v1beta`,
    });
    try {
      const user = await signUp(own);
      const result = await own.graphql<{ addApiKey: KeyView }>(
        ADD,
        { input: { provider: 'anthropic', key: newKey('anthropic') } },
        user.token,
      );
      expect(result.data!.addApiKey).toMatchObject({
        status: 'unverified',
        statusReason: 'NETWORK_ERROR',
      });
    } finally {
      await own.close();
    }
  });
});

describe('a slow provider', () => {
  it('holds no database connection while a check waits on it', async () => {
    // One connection in the pool: a check holding it would starve every other request.
    const slow = await FakeProvider.start();
    const urls = slow.baseUrls();
    const own = await startTestServer({
      DB_POOL_MAX: '1',
      DATABASE_CONNECT_TIMEOUT_MS: '2000',
      VALIDATE_PROVIDER_KEYS: 'true',
      PROVIDER_OPENAI_URL: urls.openai,
      PROVIDER_ANTHROPIC_URL: urls.anthropic,
      PROVIDER_GEMINI_URL: urls.gemini,
      PROVIDER_KEY_CHECK_TIMEOUT_MS: '60000',
    });
    try {
      const user = await signUp(own);
      slow.setDefault('openai', { kind: 'hang' });
      const adding = own.graphql<{ addApiKey: KeyView }>(
        ADD,
        { input: { provider: 'openai', key: newKey('openai') } },
        user.token,
      );
      await until(() => slow.inFlight === 1);

      const profile = await own.graphql('{ viewer { profile { email } } }', {}, user.token);

      expect(profile.errors).toBeUndefined();
      // The check was still waiting on the provider all along.
      expect(slow.inFlight).toBe(1);
      await slow.close(); // drops the hanging exchange
      expect((await adding).data!.addApiKey).toMatchObject({ statusReason: 'NETWORK_ERROR' });
    } finally {
      await slow.close().catch(() => undefined);
      await own.close();
    }
  });
});

describe('REST', () => {
  it('POST /api/user/api-keys keeps its 201 body; GET shows the status fields', async () => {
    const user = await signUp(server);
    const key = newKey('openai');

    const added = await rest.request('POST', '/api/user/api-keys', {
      token: user.token,
      body: { provider: 'openai', key, name: 'My OpenAI Key' },
    });

    expect(added.status).toBe(201);
    expect(Object.keys(added.body).sort()).toEqual(['createdAt', 'id', 'name', 'provider']);
    const listed = await rest.request<{ keys: Record<string, unknown>[] }>(
      'GET',
      '/api/user/api-keys',
      { token: user.token },
    );
    expect(listed.body.keys).toEqual([
      expect.objectContaining({
        id: added.body['id'],
        status: 'valid',
        statusReason: null,
        lastValidatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) as unknown,
      }),
    ]);
  });

  it("the legacy document's example key is a clear 400 when the provider rejects it", async () => {
    const user = await signUp(server);
    fake.onKey('sk-proj-abc123...', { kind: 'reject' });

    const response = await rest.request('POST', '/api/user/api-keys', {
      token: user.token,
      body: { provider: 'openai', key: 'sk-proj-abc123...', name: 'My OpenAI Key' },
    });

    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: {
        code: 'BAD_USER_INPUT',
        message: 'OpenAI did not accept this key (wrong, revoked or expired); nothing was stored.',
        field: 'key',
        reason: 'PROVIDER_REJECTED_KEY',
      },
    });
    expect(await rows(user)).toEqual([]);
  });
});

describe('the logs', () => {
  it('say each check happened, and hold nothing of a key or a provider body', async () => {
    // Runs last in this file: every key above has been checked by now.
    const user = await signUp(server);
    const key = newKey('openai');
    fake.onKey(key, { kind: 'reject' });
    await add(user, 'openai', key);

    const checks = logLines.filter((line) => line.includes('provider key checked'));
    expect(checks.length).toBeGreaterThan(10);
    expect(JSON.parse(checks.at(-1)!)).toMatchObject({
      provider: 'openai',
      status: 'invalid',
      reason: 'AUTHENTICATION_FAILED',
      httpStatus: 401,
    });
    const all = logLines.join('\n');
    for (const sent of [...sentKeys, 'sk-proj-abc123...']) {
      expect(all).not.toContain(sent);
      expect(all).not.toContain(sent.slice(-12));
    }
    expect(all).not.toMatch(/Incorrect API key|API key not valid|invalid x-api-key/);
  });
});
