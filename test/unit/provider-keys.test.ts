import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config';
import { boundedGet } from '../../src/infra/http-client';
import type { Provider } from '../../src/modules/api-keys/api-key.entity';
import {
  checkKeyFormat,
  formatProblemError,
  ProviderKeyChecker,
  type KeyCheckOutcome,
  type KeyCheckVerdict,
  type ProviderKeyCheckConfig,
} from '../../src/modules/api-keys/providers';
import { FakeProvider, type FakeBehaviour } from '../helpers/fake-provider';
import { freePort } from '../../scripts/free-port';
import { until } from '../helpers/until';

const PROVIDERS: Provider[] = ['openai', 'anthropic', 'gemini'];

const token = (length: number) =>
  randomBytes(length).toString('base64url').slice(0, length).replace(/^-/, 'x');

/** A fresh, well-formed key of each provider. */
const keyOf: Record<Provider, () => string> = {
  openai: () => `sk-proj-${token(48)}`,
  anthropic: () => `sk-ant-api03-${token(93)}AA`,
  gemini: () => `AIza${token(35)}`,
};

describe('checkKeyFormat', () => {
  it.each([
    ['openai', `sk-proj-${token(40)}`, 'openai_project'],
    ['openai', `sk-svcacct-${token(40)}`, 'openai_service_account'],
    ['openai', `sk-${token(48)}`, 'openai_user'],
    ['anthropic', `sk-ant-api03-${token(93)}AA`, 'anthropic_api'],
    ['anthropic', `sk-ant-${'r'.repeat(40)}9999`, 'anthropic_other'],
    ['gemini', `AIza${token(35)}`, 'gemini_standard'],
    ['gemini', `AQ.Ab8${token(50)}`, 'gemini_auth'],
  ] as const)('accepts a %s key of kind %#', (provider, key, kind) => {
    expect(checkKeyFormat(provider, key)).toEqual({ ok: true, kind });
  });

  it.each([
    ['openai', 'sk-proj-abc123...'], // the legacy User API document's example
    ['openai', 'sk-valid-key-123456'],
    ['gemini', `AIza${'x'.repeat(30)}1000`], // 38 characters: no exact length is required
  ] as const)('leaves an odd but plausible %s key to the provider: %s', (provider, key) => {
    expect(checkKeyFormat(provider, key).ok).toBe(true);
  });

  it.each([
    ['openai', `sk-ant-api03-${token(93)}AA`, 'anthropic'],
    ['openai', `AIza${token(35)}`, 'gemini'],
    ['openai', `AQ.Ab8${token(40)}`, 'gemini'],
    ['anthropic', `sk-proj-${token(40)}`, 'openai'],
    ['anthropic', `sk-svcacct-${token(40)}`, 'openai'],
    ['anthropic', `AIza${token(35)}`, 'gemini'],
    ['gemini', `sk-ant-api03-${token(93)}AA`, 'anthropic'],
    ['gemini', `sk-proj-${token(40)}`, 'openai'],
  ] as const)('refuses a key filed under %s that is a %#', (provider, key, looksLike) => {
    const verdict = checkKeyFormat(provider, key);
    expect(verdict).toEqual({ ok: false, problem: 'WRONG_PROVIDER', looksLike });
    if (verdict.ok) throw new Error('unreachable');
    expect(JSON.stringify(formatProblemError(provider, verdict))).not.toContain(key);
  });

  it.each([
    ['openai', `sk-admin-${token(60)}`, 'ADMIN_KEY'],
    ['anthropic', `sk-ant-admin01-${token(93)}AA`, 'ADMIN_KEY'],
    ['openai', `sk-or-v1-${token(64)}`, 'FOREIGN_KEY'],
    ['openai', 'hello-world-123456', 'UNRECOGNISED'],
    ['anthropic', `sk-${token(48)}`, 'UNRECOGNISED'],
    ['gemini', `sk-${token(48)}`, 'UNRECOGNISED'],
    ['openai', 'sk-shrt', 'MALFORMED'],
    ['openai', 'sk-has a space-1234567', 'MALFORMED'],
    ['openai', 'sk-proj-abc\r\nX-Injected: 1', 'MALFORMED'],
    ['openai', 'sk-proj-sécret-123456', 'MALFORMED'],
    ['openai', `sk-${'k'.repeat(600)}`, 'MALFORMED'],
  ] as const)('refuses a %s key: %s → %s', (provider, key, problem) => {
    const verdict = checkKeyFormat(provider, key);
    expect(verdict).toMatchObject({ ok: false, problem });
    if (verdict.ok) throw new Error('unreachable');
    expect(JSON.stringify(formatProblemError(provider, verdict))).not.toContain(key);
  });
});

describe('provider-key configuration', () => {
  const config = (env: Record<string, string>) =>
    loadConfig({ NODE_ENV: 'development', ...env }).providerKeys;

  it('validates against the real APIs unless told otherwise', () => {
    expect(config({})).toEqual({
      validate: true,
      baseUrls: {},
      timeoutMs: 5_000,
      maxConcurrent: 8,
    });
  });

  it('takes a configured base, without its trailing slash', () => {
    const { baseUrls } = config({ PROVIDER_OPENAI_URL: ' https://proxy.example.com/openai/v1/ ' });
    expect(baseUrls).toEqual({ openai: 'https://proxy.example.com/openai/v1' });
  });

  it('allows http:// only outside production', () => {
    const env = { PROVIDER_GEMINI_URL: 'http://127.0.0.1:9999/gemini/v1beta' };
    expect(config(env).baseUrls.gemini).toBe('http://127.0.0.1:9999/gemini/v1beta');
    expect(() =>
      loadConfig({ NODE_ENV: 'production', MASTER_KEYS: `k:${'A'.repeat(43)}=`, ...env }),
    ).toThrow('PROVIDER_GEMINI_URL must be an https:// URL in production');
  });

  it('does not validate under NODE_ENV=test unless asked, and then never against the real APIs', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).providerKeys.validate).toBe(false);
    expect(() => loadConfig({ NODE_ENV: 'test', VALIDATE_PROVIDER_KEYS: 'true' })).toThrow(
      /PROVIDER_OPENAI_URL must be set when NODE_ENV=test validates provider keys/,
    );
    expect(config({ VALIDATE_PROVIDER_KEYS: 'false' }).validate).toBe(false);
  });

  it.each([
    ['https://user:s3cret@api.example.com/v1', 'must not carry credentials'],
    ['https://api.example.com/v1?key=s3cret', 'must not have a query or fragment'],
    ['ftp://api.example.com/v1', 'must be an http:// or https:// URL'],
    ['api.example.com/v1s3cret', 'must be an absolute URL'],
  ])('refuses %s without repeating it', (raw, message) => {
    let thrown: unknown;
    try {
      config({ PROVIDER_ANTHROPIC_URL: raw });
    } catch (error) {
      thrown = error;
    }
    expect(String(thrown)).toContain(`PROVIDER_ANTHROPIC_URL ${message}`);
    expect(String(thrown)).not.toContain('s3cret');
  });
});

describe('ProviderKeyChecker against the fake provider', () => {
  let fake: FakeProvider;
  let elsewhere: FakeProvider;
  let events: KeyCheckOutcome[];

  beforeAll(async () => {
    fake = await FakeProvider.start();
    elsewhere = await FakeProvider.start();
  });
  afterAll(async () => {
    await fake.close();
    await elsewhere.close();
  });
  beforeEach(() => {
    fake.reset();
    elsewhere.reset();
    events = [];
  });

  /** A checker whose `check` answers the verdict alone and keeps the whole outcome in `events`. */
  const checker = (overrides: Partial<ProviderKeyCheckConfig> = {}) => {
    const real = new ProviderKeyChecker({
      enabled: true,
      baseUrls: fake.baseUrls(),
      timeoutMs: 2_000,
      maxBodyBytes: 4_096,
      maxConcurrent: 8,
      maxWaitMs: 100,
      maxWaiting: 64,
      ...overrides,
    });
    return {
      async check(provider: Provider, key: string): Promise<KeyCheckVerdict> {
        const outcome = await real.check(provider, key);
        events.push(outcome);
        const { status } = outcome;
        return status === 'valid'
          ? { status }
          : ({ status, reason: outcome.reason } as KeyCheckVerdict);
      },
    };
  };

  /** Nothing of the key in the verdict or the log events. */
  const expectNoSecret = (key: string, verdict: KeyCheckVerdict) => {
    const seen = JSON.stringify({ verdict, events });
    expect(seen).not.toContain(key);
    expect(seen).not.toContain(key.slice(-12));
    expect(seen).not.toMatch(/Incorrect API key|API key not valid|invalid x-api-key/);
  };

  it.each([
    ['openai', '/openai/v1/models', {}, 'authorization'],
    ['anthropic', '/anthropic/v1/models', { limit: '1' }, 'x-api-key'],
    ['gemini', '/gemini/v1beta/models', { pageSize: '1' }, 'x-goog-api-key'],
  ] as const)(
    '%s: one GET to the list-models path, the key only in the provider header',
    async (provider, path, query, authHeader) => {
      const key = keyOf[provider]();
      expect(await checker().check(provider, key)).toEqual({ status: 'valid' });

      expect(fake.requests).toHaveLength(1);
      const [request] = fake.requests;
      expect(request).toMatchObject({ provider, method: 'GET', path, query, authHeader, key });
      expect(JSON.stringify(request?.query)).not.toContain(key);
      const credentialHeaders = ['authorization', 'x-api-key', 'x-goog-api-key'];
      expect(request?.headerNames.filter((h) => credentialHeaders.includes(h))).toEqual([
        authHeader,
      ]);
      expect(request?.anthropicVersion).toBe(provider === 'anthropic' ? '2023-06-01' : null);
    },
  );

  const outcomes: [string, FakeBehaviour, KeyCheckVerdict][] = [
    ['accepted', { kind: 'accept' }, { status: 'valid' }],
    ['rejected', { kind: 'reject' }, { status: 'invalid', reason: 'AUTHENTICATION_FAILED' }],
    [
      '401',
      { kind: 'status', status: 401 },
      { status: 'invalid', reason: 'AUTHENTICATION_FAILED' },
    ],
    ['403', { kind: 'status', status: 403 }, { status: 'invalid', reason: 'PERMISSION_DENIED' }],
    ['429', { kind: 'status', status: 429 }, { status: 'unverified', reason: 'RATE_LIMITED' }],
    ['500', { kind: 'status', status: 500 }, { status: 'unverified', reason: 'PROVIDER_ERROR' }],
    ['503', { kind: 'status', status: 503 }, { status: 'unverified', reason: 'PROVIDER_ERROR' }],
    ['529', { kind: 'status', status: 529 }, { status: 'unverified', reason: 'PROVIDER_ERROR' }],
    [
      '404',
      { kind: 'status', status: 404 },
      { status: 'unverified', reason: 'UNEXPECTED_RESPONSE' },
    ],
    ['a hang', { kind: 'hang' }, { status: 'unverified', reason: 'TIMEOUT' }],
  ];
  const matrix = PROVIDERS.flatMap((provider) =>
    outcomes.map(([name, behaviour, verdict]) => [provider, name, behaviour, verdict] as const),
  );

  it.each(matrix)('%s answering %s', async (provider, _name, behaviour, expected) => {
    const key = keyOf[provider]();
    fake.onKey(key, behaviour);
    const verdict = await checker({ timeoutMs: behaviour.kind === 'hang' ? 300 : 5_000 }).check(
      provider,
      key,
    );
    expect(verdict).toEqual(expected);
    expect(fake.requestsFor(provider)).toHaveLength(1);
    expectNoSecret(key, verdict);
    // What may be logged: the provider's HTTP status when it answered, nothing of its body.
    expect(events).toEqual([
      {
        ...expected,
        httpStatus: behaviour.kind === 'hang' ? null : (expect.any(Number) as unknown),
        errorCode: null,
        durationMs: expect.any(Number) as unknown,
      },
    ]);
  });

  it.each(PROVIDERS)('%s: gives up at the configured timeout', async (provider) => {
    const key = keyOf[provider]();
    fake.onKey(key, { kind: 'hang' });
    const started = Date.now();
    const verdict = await checker({ timeoutMs: 150 }).check(provider, key);
    const took = Date.now() - started;
    expect(verdict).toEqual({ status: 'unverified', reason: 'TIMEOUT' });
    expect(took).toBeGreaterThanOrEqual(140);
    expect(took).toBeLessThan(5_000); // generous: the machine may be busy
  });

  it('times out on a body that never ends when it needs the body', async () => {
    const key = keyOf.gemini();
    fake.onKey(key, { kind: 'stall-body', status: 400 });
    expect(await checker({ timeoutMs: 150 }).check('gemini', key)).toEqual({
      status: 'unverified',
      reason: 'TIMEOUT',
    });
  });

  it('does not wait for the body of a success', async () => {
    const key = keyOf.openai();
    fake.onKey(key, { kind: 'stall-body' });
    const started = Date.now();
    expect(await checker({ timeoutMs: 20_000 }).check('openai', key)).toEqual({ status: 'valid' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it.each([301, 302, 303, 307, 308] as const)(
    'does not follow a %i to another host',
    async (status) => {
      const key = keyOf.openai();
      fake.onKey(key, {
        kind: 'redirect',
        status,
        location: `${elsewhere.baseUrl('openai')}/models`,
      });
      const verdict = await checker().check('openai', key);
      expect(verdict).toEqual({ status: 'unverified', reason: 'REDIRECT' });
      expect(elsewhere.requests).toEqual([]);
      // This key's requests only: on a busy machine a request an earlier test
      // gave up on (a timeout) may reach the fake provider only now.
      expect(fake.requests.filter((request) => request.key === key)).toHaveLength(1);
    },
  );

  it('reports an unreachable provider as a network error, with a code and nothing else', async () => {
    const closedPort = await freePort();
    const key = keyOf.anthropic();
    const verdict = await checker({
      baseUrls: { ...fake.baseUrls(), anthropic: `http://127.0.0.1:${closedPort}/v1` },
    }).check('anthropic', key);
    expect(verdict).toEqual({ status: 'unverified', reason: 'NETWORK_ERROR' });
    expect(events[0]).toMatchObject({ errorCode: 'ECONNREFUSED', httpStatus: null });
    expectNoSecret(key, verdict);
  });

  it('reads at most maxBodyBytes of a body it needs, then hangs up', async () => {
    const key = keyOf.gemini();
    const size = 64 * 1024 * 1024;
    fake.onKey(key, { kind: 'flood', status: 400, bytes: size, prefix: '{"error": {"details": [' });
    const verdict = await checker({ timeoutMs: 2_000 }).check('gemini', key);
    // The first 4 KiB are not valid JSON: not trusted as API_KEY_INVALID.
    expect(verdict).toEqual({ status: 'unverified', reason: 'UNEXPECTED_RESPONSE' });
    await until(() => fake.inFlight === 0);
    expect(fake.bytesSent).toBeLessThan(size / 2);
  });

  it('drops the body of a success unread, however large', async () => {
    const key = keyOf.openai();
    const size = 64 * 1024 * 1024;
    fake.onKey(key, { kind: 'flood', status: 200, bytes: size });
    expect(await checker({ timeoutMs: 2_000 }).check('openai', key)).toEqual({ status: 'valid' });
    await until(() => fake.inFlight === 0);
    expect(fake.bytesSent).toBeLessThan(size / 2);
  });

  describe('provider-specific answers', () => {
    it('openai: a restricted key without the models scope is unverified, not rejected', async () => {
      const key = keyOf.openai();
      fake.onKey(key, {
        kind: 'status',
        status: 401,
        body: {
          error: {
            message:
              'You have insufficient permissions for this operation. Missing scopes: api.model.read.',
            type: 'invalid_request_error',
            param: null,
            code: null,
          },
        },
      });
      expect(await checker().check('openai', key)).toEqual({
        status: 'unverified',
        reason: 'RESTRICTED_KEY',
      });
    });

    it("openai: a refusal of this server's region says nothing about the key", async () => {
      const key = keyOf.openai();
      fake.onKey(key, {
        kind: 'status',
        status: 403,
        body: {
          error: {
            code: 'unsupported_country_region_territory',
            message: 'Country, region, or territory not supported',
            param: null,
            type: 'request_forbidden',
          },
        },
      });
      expect(await checker().check('openai', key)).toEqual({
        status: 'unverified',
        reason: 'PROVIDER_REFUSED_REGION',
      });
    });

    it('gemini: a 400 that is not API_KEY_INVALID is unverified', async () => {
      const key = keyOf.gemini();
      fake.onKey(key, {
        kind: 'status',
        status: 400,
        body: {
          error: {
            code: 400,
            message: 'Gemini API free tier is not available in your country.',
            status: 'FAILED_PRECONDITION',
          },
        },
      });
      expect(await checker().check('gemini', key)).toEqual({
        status: 'unverified',
        reason: 'UNEXPECTED_RESPONSE',
      });
    });

    it('gemini: an authorization (AQ.) key is checked like a standard one', async () => {
      const key = `AQ.Ab8${token(50)}`;
      expect(await checker().check('gemini', key)).toEqual({ status: 'valid' });
      expect(fake.requests[0]).toMatchObject({ authHeader: 'x-goog-api-key', key });
    });
  });

  describe('keys that must not leave the process', () => {
    it.each([
      ['openai', `sk-ant-api03-${token(93)}AA`],
      ['openai', `AIza${token(35)}`],
      ['anthropic', `sk-proj-${token(48)}`],
      ['gemini', `sk-ant-api03-${token(93)}AA`],
      ['openai', 'sk-proj-abc\r\nX-Injected: 1'],
      ['anthropic', `sk-ant-admin01-${token(93)}AA`],
    ] as const)('%s with %s: no request reaches any provider', async (provider, key) => {
      const verdict = await checker().check(provider, key);
      expect(verdict).toEqual({ status: 'invalid', reason: 'WRONG_FORMAT' });
      expect(fake.requests.filter((request) => request.key === key)).toEqual([]);
      expectNoSecret(key, verdict);
    });

    it('checks nothing over the network when validation is off', async () => {
      const key = keyOf.openai();
      expect(await checker({ enabled: false }).check('openai', key)).toEqual({
        status: 'unverified',
        reason: 'VALIDATION_DISABLED',
      });
      expect(fake.requests.filter((request) => request.key === key)).toEqual([]);
    });
  });

  describe('concurrency bound', () => {
    it('runs at most maxConcurrent checks; the others wait maxWaitMs, then are unverified', async () => {
      const limited = checker({ maxConcurrent: 2, maxWaitMs: 100, timeoutMs: 3_000 });
      const keys = Array.from({ length: 6 }, () => keyOf.anthropic());
      for (const key of keys) fake.onKey(key, { kind: 'hang' });

      const started = Date.now();
      const settled = keys.map(async (key) => {
        const verdict = await limited.check('anthropic', key);
        return { verdict, took: Date.now() - started };
      });
      const results = await Promise.all(settled);

      expect(
        fake.requests.filter((request) => request.key !== null && keys.includes(request.key)),
      ).toHaveLength(2);
      expect(fake.maxInFlight).toBeLessThanOrEqual(2);
      const busy = results.filter(
        (r) => r.verdict.status === 'unverified' && r.verdict.reason === 'BUSY',
      );
      const timedOut = results.filter(
        (r) => r.verdict.status === 'unverified' && r.verdict.reason === 'TIMEOUT',
      );
      expect(busy).toHaveLength(4);
      expect(timedOut).toHaveLength(2);
      // They gave up waiting long before the two under way timed out.
      for (const { took } of busy) expect(took).toBeLessThan(2_000);

      // Slots come back: the next check runs.
      expect(await limited.check('anthropic', keyOf.anthropic())).toEqual({ status: 'valid' });
    });

    it('gives up at once past maxWaiting', async () => {
      const limited = checker({
        maxConcurrent: 1,
        maxWaiting: 1,
        maxWaitMs: 2_000,
        timeoutMs: 4_000,
      });
      const keys = [keyOf.gemini(), keyOf.gemini(), keyOf.gemini()];
      for (const key of keys) fake.onKey(key, { kind: 'hang' });
      const started = Date.now();
      const results = await Promise.all(
        keys.map(async (key) => ({
          verdict: await limited.check('gemini', key),
          took: Date.now() - started,
        })),
      );
      expect(results.map((r) => r.verdict)).toEqual([
        { status: 'unverified', reason: 'TIMEOUT' },
        { status: 'unverified', reason: 'BUSY' },
        { status: 'unverified', reason: 'BUSY' },
      ]);
      expect(results[1]!.took).toBeGreaterThanOrEqual(1_900);
      expect(results[2]!.took).toBeLessThan(1_500);
    });
  });
});

describe('boundedGet', () => {
  it('keeps nothing of an error message that quotes a header value', async () => {
    const result = await boundedGet(new URL('http://127.0.0.1:9/'), {
      headers: { authorization: 'Bearer sk-secret\nX: y' },
      timeoutMs: 500,
      maxBodyBytes: 10,
      readBodyOf: () => true,
    });
    // undici's own TypeError reads `"Bearer sk-secret\nX: y" is an invalid header value`.
    expect(result).toEqual({ kind: 'network', code: null });
  });
});
