import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { getNamedType, isObjectType, type GraphQLField, type GraphQLSchema } from 'graphql';
import { InputSchemas } from '../src/graphql/input-schema';
import { buildGraphQLSchema } from '../src/schema';
import { randomClientAddress, startTestServer, type TestServer } from './helpers/app';
import { invalid, valid, type Breakage, type Schema } from './helpers/arbitraries';
import { signUp, type SignedUp } from './helpers/factories';

/**
 * Property-based tests (fast-check) of both faces, derived from what the
 * service publishes about its input: the OpenAPI document for REST, the
 * GraphQL schema's argument and input types (with the validators'
 * constraints, src/graphql/input-schema.ts) for GraphQL. For every operation:
 * valid input -> the documented success; invalid input -> a 4xx in the closed
 * error format that changes no row; never a 5xx.
 *
 * What the documents cannot say is fixed up in the generated valid input and
 * named here: values that must match the account (current password, the
 * confirmation email, the sign-in credentials), a unique sign-up email, a
 * provider key's prefix (checked per provider), invitations needing
 * `createOrg`, and ids that must be the viewer's.
 *
 * Runs per property: FUZZ_RUNS (default 8 valid, twice that invalid), kept
 * small so the suite stays fast; fast-check prints the seed of a failure
 * (replay with FUZZ_SEED).
 */
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 8);
const SEED =
  process.env['FUZZ_SEED'] === undefined ? {} : { seed: Number(process.env['FUZZ_SEED']) };
const validRuns = { numRuns: RUNS, ...SEED };
// Each property sends dozens of requests; on a loaded 2-core machine that takes a while.
jest.setTimeout(120_000);
const invalidRuns = { numRuns: RUNS * 2, ...SEED };

let server: TestServer;
let schema: GraphQLSchema;
let inputs: InputSchemas;
let openApi: { paths: Record<string, Record<string, Operation>> };

interface Operation {
  requestBody?: { content: { 'application/json': { schema: Schema } } };
  parameters?: { name: string; schema: Schema }[];
  responses: Record<string, unknown>;
}

beforeAll(async () => {
  server = await startTestServer();
  schema = await buildGraphQLSchema();
  inputs = new InputSchemas();
  openApi = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as typeof openApi;
});
afterAll(async () => {
  await server.close();
});

/**
 * Every row that belongs to the user, in every table that names a user
 * (found in the catalogue, so new tables are covered): what a 4xx must leave
 * as it was. Rate-limit counters (their point is to count attempts), a
 * token's last use (`last_used_at`, `_ip`, `_user_agent`: refreshed by using
 * a token at all) and the delivery state of queued mail (the worker's doing,
 * e.g. the sign-up verification mail going out meanwhile) are not the
 * request's doing.
 */
async function rowsOf(userId: string): Promise<string> {
  const columns = await server.sql<{ table_name: string; column_name: string }>(
    `select table_name, column_name from information_schema.columns
      where table_schema = current_schema() and data_type = 'text'
        and (column_name in ('user_id', 'invited_by_id', 'created_by_id')
             or (table_name = 'users' and column_name = 'id'))
      order by table_name, column_name`,
  );
  const rows: Record<string, unknown[]> = {};
  for (const { table_name: table, column_name: column } of columns) {
    if (!/^[a-z_]+$/.test(table) || !/^[a-z_]+$/.test(column)) throw new Error('unexpected name');
    const found = await server.sql<{ row: Record<string, unknown> }>(
      `select to_jsonb(t) - '{last_used_at,last_used_ip,last_used_user_agent}'::text[]
                - (case when ? = 'mail_outbox' then '{status,attempts,sent_at,last_error}'
                        else '{}' end)::text[] as row
         from "${table}" t where "${column}" = ? order by 1::text`,
      [table, userId],
    );
    rows[`${table}.${column}`] = found
      .map((r) => r.row)
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  return JSON.stringify(rows);
}

interface Answer {
  status: number;
  text: string;
  json: unknown;
}

async function send(method: string, path: string, token: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      'x-forwarded-for': randomClientAddress(),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}

/** The closed REST error body: `{"error": {code, message, field?}}` and nothing else. */
function expectRestError(answer: Answer, context: string) {
  const body = answer.json as { error?: Record<string, unknown> } | undefined;
  expect([context, Object.keys(body ?? {})]).toEqual([context, ['error']]);
  for (const key of Object.keys(body?.error ?? {})) {
    expect([context, key]).toEqual([context, expect.stringMatching(/^(code|message|field)$/)]);
  }
}

// ---------------------------------------------------------------- REST

/** The documented success status of an operation. */
const successOf = (operation: Operation) =>
  Number(Object.keys(operation.responses).find((status) => status.startsWith('2')));

/** What the OpenAPI document cannot say, made true of a generated valid body. */
function restFixups(
  path: string,
  body: Record<string, unknown>,
  user: SignedUp,
): Record<string, unknown> {
  switch (path) {
    case '/api/users/password':
      return { ...body, current_password: user.password };
    case '/api/user/delete-account':
      return { ...body, confirmEmail: user.email };
    case '/api/user/api-keys':
      return { ...body, key: providerKey(body['provider'] as string, body['key'] as string) };
    case '/api/user/onboarding':
      return withOrganizationForInvites(body);
    default:
      return body;
  }
}

const PREFIXES: Readonly<Record<string, string>> = {
  openai: 'sk-proj-',
  anthropic: 'sk-ant-api03-',
  gemini: 'AIza',
};
/** A provider's keys start with its prefix (src/modules/api-keys/providers). */
const providerKey = (provider: string, key: string) =>
  `${PREFIXES[provider] ?? ''}${key}`.slice(0, 512);

/** Invitations need an organization to go to. */
const withOrganizationForInvites = (input: Record<string, unknown>) =>
  Array.isArray(input['inviteEmails']) && input['inviteEmails'].length > 0
    ? { ...input, createOrg: true }
    : input;

const restOperations = () =>
  Object.entries(openApi.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([method]) => method !== 'head')
      .map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
  );

describe('REST, from the OpenAPI document', () => {
  it('covers every documented operation, and sees the rows a request could change', async () => {
    expect(restOperations().length).toBeGreaterThanOrEqual(15);
    const user = await signUp(server);
    const rows = JSON.parse(await rowsOf(user.id)) as Record<string, unknown[]>;
    expect(rows['users.id']).toHaveLength(1);
    expect(rows['access_tokens.user_id']).toHaveLength(1);
    expect(Object.keys(rows)).toEqual(
      expect.arrayContaining(['api_keys.user_id', 'onboardings.user_id', 'memberships.user_id']),
    );
  });

  it.each([
    'PATCH /api/user/profile',
    'POST /api/user/api-keys',
    'PATCH /api/user/timezone',
    'POST /api/user/onboarding',
    'DELETE /api/user/delete-account',
    'PATCH /api/users/profile',
    'PATCH /api/users/password',
  ])('%s: valid bodies get the documented status', async (name) => {
    const [method = '', path = ''] = name.split(' ');
    const operation = openApi.paths[path]?.[method.toLowerCase()] as Operation;
    const bodySchema = operation.requestBody!.content['application/json'].schema;
    await fc.assert(
      fc.asyncProperty(valid(bodySchema), async (generated) => {
        const user = await signUp(server);
        const body = restFixups(path, generated as Record<string, unknown>, user);
        const answer = await send(method, path, user.token, body);
        expect([JSON.stringify(body), answer.status, answer.text]).toEqual([
          JSON.stringify(body),
          successOf(operation),
          answer.text,
        ]);
      }),
      validRuns,
    );
  });

  it.each([
    'PATCH /api/user/profile',
    'POST /api/user/api-keys',
    'PATCH /api/user/timezone',
    'POST /api/user/onboarding',
    'DELETE /api/user/delete-account',
    'PATCH /api/users/profile',
    'PATCH /api/users/password',
  ])('%s: invalid bodies get a 4xx in the closed format and change nothing', async (name) => {
    const [method = '', path = ''] = name.split(' ');
    const operation = openApi.paths[path]?.[method.toLowerCase()] as Operation;
    const bodySchema = operation.requestBody!.content['application/json'].schema;
    const user = await signUp(server);
    const before = await rowsOf(user.id);
    await fc.assert(
      fc.asyncProperty(invalid(bodySchema), async ({ why, value }: Breakage) => {
        const answer = await send(method, path, user.token, value);
        const context = `${why}: ${JSON.stringify(value)} -> ${answer.status} ${answer.text}`;
        expect([context, answer.status >= 400 && answer.status < 500]).toEqual([context, true]);
        expectRestError(answer, context);
        expect([context, await rowsOf(user.id)]).toEqual([context, before]);
      }),
      invalidRuns,
    );
  });

  it('body-less operations answer without a body, and refuse any body but {}', async () => {
    const bodyless = restOperations().filter(({ operation }) => !operation.requestBody);
    expect(bodyless.length).toBeGreaterThanOrEqual(8);
    const nonEmpty = fc.oneof(
      fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue(), {
        minKeys: 1,
        maxKeys: 3,
      }),
      fc.array(fc.jsonValue(), { maxLength: 3 }),
      fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)),
    );
    for (const { method, path, operation } of bodyless) {
      if (path.includes('{')) continue; // below, with its path parameter
      const user = await signUp(server);
      const ok = await send(method, path, user.token);
      expect([path, ok.status]).toEqual([path, successOf(operation)]);
      if (method === 'GET') continue; // fetch sends no body with a GET (test/http-face.test.ts does)
      const before = await rowsOf(user.id);
      await fc.assert(
        fc.asyncProperty(nonEmpty, async (body) => {
          const answer = await send(method, path, user.token, body);
          const context = `${method} ${path} ${JSON.stringify(body)} -> ${answer.status} ${answer.text}`;
          expect([context, answer.status]).toEqual([context, 400]);
          expectRestError(answer, context);
          expect([context, await rowsOf(user.id)]).toEqual([context, before]);
        }),
        invalidRuns,
      );
    }
  });

  it('DELETE /api/user/api-keys/{keyId}: the viewer’s key goes (204); any other id is a 4xx and changes nothing', async () => {
    const operation = openApi.paths['/api/user/api-keys/{keyId}']?.['delete'] as Operation;
    const user = await signUp(server);
    const added = await send('POST', '/api/user/api-keys', user.token, {
      provider: 'openai',
      key: 'sk-proj-0123456789abcdef',
    });
    const own = (added.json as { id: string }).id;
    const before = await rowsOf(user.id);
    const otherId = fc.oneof(
      fc.string({ minLength: 1, maxLength: 120 }),
      fc.stringMatching(/^key_[A-Za-z0-9]{1,40}$/),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }).map((c) => `key_${c}`),
    );
    await fc.assert(
      fc.asyncProperty(otherId, async (id) => {
        const answer = await send(
          'DELETE',
          `/api/user/api-keys/${encodeURIComponent(id)}`,
          user.token,
        );
        const context = `${JSON.stringify(id)} -> ${answer.status} ${answer.text}`;
        expect([context, [400, 404, 414].includes(answer.status)]).toEqual([context, true]);
        expectRestError(answer, context);
        expect([context, await rowsOf(user.id)]).toEqual([context, before]);
      }),
      invalidRuns,
    );
    const removed = await send('DELETE', `/api/user/api-keys/${own}`, user.token);
    expect(removed.status).toBe(successOf(operation));
  });
});

// ---------------------------------------------------------------- GraphQL

/** A document running `field` with every argument as a variable. */
function documentOf(field: GraphQLField<unknown, unknown>): string {
  const variables = field.args.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(', ');
  const args = field.args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
  const selection = isObjectType(getNamedType(field.type)) ? ' { __typename }' : '';
  return `mutation Fuzz${variables ? `(${variables})` : ''} { ${field.name}${args ? `(${args})` : ''}${selection} }`;
}

/** What the schema cannot say, made true of generated valid arguments. */
async function graphqlFixups(
  field: string,
  variables: Record<string, unknown>,
  user: SignedUp,
): Promise<Record<string, unknown>> {
  const input = (variables['input'] ?? {}) as Record<string, unknown>;
  switch (field) {
    case 'signUp':
      return { input: { ...input, email: `${randomUUID()}-${String(input['email'])}` } };
    case 'createAccessToken':
      return { input: { ...input, email: user.email, password: user.password } };
    case 'changePassword':
      return { input: { ...input, currentPassword: user.password } };
    case 'requestEmailChange':
      return {
        input: {
          ...input,
          currentPassword: user.password,
          newEmail: `${randomUUID()}-${String(input['newEmail'])}`,
        },
      };
    case 'deleteAccount':
      return { confirmEmail: user.email };
    case 'addApiKey':
      return {
        input: { ...input, key: providerKey(input['provider'] as string, input['key'] as string) },
      };
    case 'completeOnboarding':
      return { input: withOrganizationForInvites(input) };
    case 'revokeAccessToken':
      return { id: user.tokenId };
    case 'removeApiKey':
    case 'validateApiKey': {
      const added = await server.graphql<{ addApiKey: { id: string } }>(
        'mutation { addApiKey(input: {provider: openai, key: "sk-proj-0123456789abcdef"}) { id } }',
        {},
        user.token,
      );
      return { id: added.data?.addApiKey.id };
    }
    default:
      return variables;
  }
}

const mutationField = (name: string) => {
  const field = schema.getMutationType()?.getFields()[name];
  if (!field) throw new Error(`no mutation ${name}`);
  return field;
};

/**
 * Every mutation of the schema (the first test fails when one is added and
 * not listed): those of the account, whose valid input succeeds on a fresh
 * account once fixed up, and those of organizations, whose success needs an
 * organization, an invitation or a fellow member (test/organizations*.test.ts
 * drive those): here their generated valid input must get a 4xx code or
 * succeed, never a 5xx.
 */
const ACCOUNT_MUTATIONS = [
  'addApiKey',
  'changePassword',
  'completeOnboarding',
  'createAccessToken',
  'deleteAccount',
  'exportData',
  'recordActivity',
  'removeApiKey',
  'requestEmailChange',
  'requestEmailVerification',
  'revokeAccessToken',
  'revokeOtherAccessTokens',
  'signUp',
  'updateProfile',
  'updateTimezone',
  'validateApiKey',
];
const ORGANIZATION_MUTATIONS = [
  'acceptInvitation',
  'acceptInvitationById',
  'declineInvitation',
  'declineInvitationById',
  'inviteMembers',
  'leaveOrganization',
  'removeMember',
  'resendInvitation',
  'revokeInvitation',
  'transferOwnership',
  'updateMemberRole',
];
/** Mutations of a mailed link's code (a generated code is unknown: TOKEN_INVALID), and the reset request (always true, or throttled per client address). */
const LINK_MUTATIONS = [
  'confirmEmailChange',
  'requestPasswordReset',
  'resetPassword',
  'verifyEmail',
];
const MUTATIONS = [...ACCOUNT_MUTATIONS, ...ORGANIZATION_MUTATIONS, ...LINK_MUTATIONS].sort();
/** The codes of a refused request (4xx on REST; some organization mutations are throttled per account). */
const CLIENT_CODES = /^(BAD_USER_INPUT|NOT_FOUND|FORBIDDEN|CONFLICT|RATE_LIMITED)$/;

describe('GraphQL, from the schema’s input types', () => {
  it('covers every mutation', () => {
    expect(Object.keys(schema.getMutationType()?.getFields() ?? {}).sort()).toEqual(MUTATIONS);
  });

  it.each(ACCOUNT_MUTATIONS)('%s: valid arguments are answered without errors', async (name) => {
    const field = mutationField(name);
    const document = documentOf(field);
    await fc.assert(
      fc.asyncProperty(valid(inputs.argumentsOf(field)), async (generated) => {
        const user = await signUp(server);
        const variables = await graphqlFixups(name, generated as Record<string, unknown>, user);
        const result = await server.graphql(document, variables, user.token);
        const context = `${name} ${JSON.stringify(variables)} -> ${result.status} ${result.text}`;
        expect([context, result.status, result.errors]).toEqual([context, 200, undefined]);
      }),
      validRuns,
    );
  });

  it.each([...ORGANIZATION_MUTATIONS, ...LINK_MUTATIONS])(
    '%s: valid arguments on an account without organizations or links: a 4xx code or success, never a 5xx',
    async (name) => {
      const field = mutationField(name);
      const document = documentOf(field);
      await fc.assert(
        fc.asyncProperty(valid(inputs.argumentsOf(field)), async (variables) => {
          const user = await signUp(server);
          const result = await server.graphql(
            document,
            variables as Record<string, unknown>,
            user.token,
          );
          const context = `${name} ${JSON.stringify(variables)} -> ${result.status} ${result.text}`;
          const [error] = result.errors ?? [];
          expect([context, result.status < 500]).toEqual([context, true]);
          if (error)
            expect([context, error.extensions['code']]).toEqual([
              context,
              expect.stringMatching(CLIENT_CODES),
            ]);
        }),
        validRuns,
      );
    },
  );

  it.each(
    MUTATIONS.filter(
      (name) =>
        ![
          'exportData',
          'recordActivity',
          'requestEmailVerification',
          'revokeOtherAccessTokens',
        ].includes(name),
    ),
  )(
    '%s: invalid arguments get a 4xx code and nothing else, change no row, never a 5xx',
    async (name) => {
      const field = mutationField(name);
      const document = documentOf(field);
      const user = await signUp(server);
      const before = await rowsOf(user.id);
      await fc.assert(
        fc.asyncProperty(
          invalid(inputs.argumentsOf(field), { graphql: true }),
          async ({ why, value }: Breakage) => {
            const result = await server.graphql(
              document,
              value as Record<string, unknown>,
              user.token,
            );
            const context = `${name} ${why}: ${JSON.stringify(value)} -> ${result.status} ${result.text}`;
            const [error] = result.errors ?? [];
            expect([context, result.status === 200 || result.status === 400]).toEqual([
              context,
              true,
            ]);
            expect([context, error?.extensions['code']]).toEqual([
              context,
              expect.stringMatching(CLIENT_CODES),
            ]);
            for (const key of Object.keys(error?.extensions ?? {})) {
              expect([context, key]).toEqual([
                context,
                expect.stringMatching(/^(code|field|reason)$/),
              ]);
            }
            expect([context, await rowsOf(user.id)]).toEqual([context, before]);
          },
        ),
        invalidRuns,
      );
    },
  );
});
