import pg from 'pg';
import {
  randomClientAddress,
  startTestServer,
  workerDatabaseUrl,
  type TestServer,
} from './helpers/app';
import { signUp, type SignedUp } from './helpers/factories';
import { createOrganization } from './helpers/organizations';

/*
 * Queries Apollo has already accepted are answered without its pipeline
 * (src/graphql/hot-queries.ts). Differential: each request is sent as is
 * (answered by the hot path once Apollo has seen it) and with
 * `"extensions": {}` (which changes nothing in what Apollo answers, and keeps
 * it on Apollo's path); status, headers and body must be the same. The
 * operators' counter says which path answered: a test comparing Apollo with
 * itself would pass whatever the hot path did.
 */

let server: TestServer;
let metricsUrl: string;
let user: SignedUp;
beforeAll(async () => {
  server = await startTestServer();
  metricsUrl = `http://127.0.0.1:${await server.app.metrics.listen('127.0.0.1', 0)}/metrics`;
  user = await signUp(server);
  await createOrganization(server, user.token, 'Hot Co');
});
afterAll(async () => {
  await server.close();
});

async function hotAnswers(url = metricsUrl): Promise<number> {
  const text = await (await fetch(url)).text();
  return Number(/^graphql_hot_queries_total (\S+)$/m.exec(text)?.[1] ?? NaN);
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Headers that differ between any two answers whatever answered them. */
const PER_RESPONSE = new Set(['date', 'x-request-id', 'keep-alive', 'connection']);

async function post(
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-forwarded-for': randomClientAddress(),
      ...headers,
    },
    body: JSON.stringify(body),
  });
  const kept: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (!PER_RESPONSE.has(name)) kept[name] = value;
  });
  return { status: response.status, headers: kept, body: await response.text() };
}

/**
 * Sends `body` until Apollo has learned it, then once more (`hot`), and the
 * same with `"extensions": {}` (`apollo`); answers both and how many of the
 * requests the hot path answered.
 */
async function bothWays(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  await post(body, headers);
  const before = await hotAnswers();
  const hot = await post(body, headers);
  const hotCount = (await hotAnswers()) - before;
  const apollo = await post({ ...body, extensions: {} }, headers);
  expect((await hotAnswers()) - before).toBe(hotCount);
  return { hot, apollo, hotCount };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const PROFILE = '{ viewer { id profile { id email name plan createdAt emailVerified } } }';

describe('a query Apollo has accepted, sent again', () => {
  it.each([
    ['no Accept header', {}],
    ['Accept: */*', { accept: '*/*' }],
    ['Accept: application/json', { accept: 'application/json' }],
    ['Accept: application/graphql-response+json', { accept: 'application/graphql-response+json' }],
    [
      "Apollo Client's Accept header",
      { accept: 'application/graphql-response+json,application/json;q=0.9' },
    ],
    [
      "Apollo Client's Accept header, spaced",
      { accept: 'application/graphql-response+json, application/json;q=0.9' },
    ],
  ])('is answered by the hot path as Apollo answers it (%s)', async (_name, accept) => {
    const { hot, apollo, hotCount } = await bothWays(
      { query: PROFILE },
      { ...bearer(user.token), ...accept },
    );
    expect(hotCount).toBe(1);
    expect(hot).toEqual(apollo);
    expect(hot.status).toBe(200);
    expect(JSON.parse(hot.body)).toEqual({
      data: { viewer: expect.objectContaining({ id: user.id }) as unknown },
    });
  });

  it.each([
    ['variables: {}', { variables: {} }],
    ['variables: null', { variables: null }],
    ['operationName: null', { operationName: null }],
  ])('with %s, is hot too', async (_name, extra) => {
    const { hot, apollo, hotCount } = await bothWays(
      { query: '{ viewer { id planLimits { plan } } }', ...extra },
      bearer(user.token),
    );
    expect(hotCount).toBe(1);
    expect(hot).toEqual(apollo);
  });

  it('runs the operation named, as Apollo does', async () => {
    const query = 'query Me { viewer { id } } query Plan { viewer { planLimits { plan } } }';
    const me = await bothWays({ query, operationName: 'Me' }, bearer(user.token));
    const plan = await bothWays({ query, operationName: 'Plan' }, bearer(user.token));
    expect([me.hotCount, plan.hotCount]).toEqual([1, 1]);
    expect(me.hot).toEqual(me.apollo);
    expect(plan.hot).toEqual(plan.apollo);
    expect(JSON.parse(me.hot.body)).toEqual({ data: { viewer: { id: user.id } } });
    expect(JSON.parse(plan.hot.body)).toEqual({
      data: { viewer: { planLimits: { plan: 'free' } } },
    });
  });

  it.each([
    ['without a token', {}],
    ['with a token that is not one', bearer('not-a-token')],
  ])('answers the same error %s', async (_name, headers) => {
    const { hot, apollo, hotCount } = await bothWays({ query: PROFILE }, headers);
    expect(hotCount).toBe(1);
    expect(hot).toEqual(apollo);
    const body = JSON.parse(hot.body) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe('UNAUTHENTICATED');
  });

  it('answers an error in one field with its path, null up to the nearest nullable field, as Apollo does', async () => {
    const query = `{ viewer { id organizations { organization { id members(first: 2, after: "junk") { edges { cursor } } } } } }`;
    const { hot, apollo, hotCount } = await bothWays({ query }, bearer(user.token));
    expect(hotCount).toBe(1);
    expect(hot).toEqual(apollo);
    const body = JSON.parse(hot.body) as {
      errors: { path: unknown[]; extensions: { code: string } }[];
      data: unknown;
    };
    expect(body.errors[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors[0]?.path).toEqual(['viewer', 'organizations', 0, 'organization', 'members']);
    expect(body.data).toEqual({ viewer: null });
  });
});

describe('what the hot path leaves to Apollo', () => {
  it.each([
    [
      'a query with variables',
      {
        query:
          'query($f: Int) { viewer { organizations { organization { members(first: $f) { edges { cursor } } } } } }',
        variables: { f: 1 },
      },
      {},
    ],
    ['a mutation', { query: 'mutation { recordActivity { lastActiveAt } }' }, {}],
    [
      'an Accept header of another kind',
      { query: PROFILE },
      { accept: 'application/json, text/plain' },
    ],
    [
      "a router's request for a trace",
      { query: PROFILE },
      { 'apollo-federation-include-trace': 'ftv1' },
    ],
  ])('%s', async (_name, body, headers) => {
    const { hot, apollo, hotCount } = await bothWays(body, { ...bearer(user.token), ...headers });
    expect(hotCount).toBe(0);
    expect(hot.status).toBe(apollo.status);
    expect(JSON.parse(hot.body)).not.toHaveProperty('errors');
  });

  it('a query Apollo refused, however often it is sent', async () => {
    const query = '{ viewer { id nosuchfield } }';
    const { hot, apollo, hotCount } = await bothWays({ query }, bearer(user.token));
    expect(hotCount).toBe(0);
    expect(hot).toEqual(apollo);
    expect(hot.status).toBe(400);
  });

  it('a GET request', async () => {
    const before = await hotAnswers();
    const url = `${server.url}/graphql?query=${encodeURIComponent(PROFILE)}`;
    for (let i = 0; i < 3; i++) {
      const response = await fetch(url, {
        headers: { ...bearer(user.token), 'apollo-require-preflight': 'true' },
      });
      expect(response.status).toBe(200);
    }
    expect((await hotAnswers()) - before).toBe(0);
  });
});

describe('a database that does not answer', () => {
  let slow: TestServer;
  let slowMetrics: string;
  beforeAll(async () => {
    slow = await startTestServer({ DATABASE_QUERY_TIMEOUT_MS: '1000' });
    slowMetrics = `http://127.0.0.1:${await slow.app.metrics.listen('127.0.0.1', 0)}/metrics`;
  });
  afterAll(async () => {
    await slow.close();
  });

  it('gets the same 503 and Retry-After from the hot path as from Apollo', async () => {
    const send = async (body: Record<string, unknown>) => {
      const response = await fetch(`${slow.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-forwarded-for': randomClientAddress(),
          ...bearer(user.token),
        },
        body: JSON.stringify(body),
      });
      return {
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        body: await response.text(),
      };
    };
    const query = '{ viewer { id profile { email } } }';
    await send({ query }); // learned
    // Every read of the token waits behind this lock until the query timeout.
    const locker = new pg.Client({ connectionString: workerDatabaseUrl() });
    await locker.connect();
    try {
      await locker.query('begin');
      await locker.query('lock table access_tokens in access exclusive mode');
      const before = await hotAnswers(slowMetrics);
      const hot = await send({ query });
      const hotCount = (await hotAnswers(slowMetrics)) - before;
      const apollo = await send({ query, extensions: {} });
      expect(hotCount).toBe(1);
      expect(hot).toEqual(apollo);
      expect(hot.status).toBe(503);
      expect(hot.retryAfter).toBe('5');
      const body = JSON.parse(hot.body) as { errors: { extensions: { code: string } }[] };
      expect(body.errors[0]?.extensions.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      await locker.query('rollback');
      await locker.end();
    }
    // And once the lock is gone, the same query is answered.
    expect((await send({ query })).status).toBe(200);
  });
});
