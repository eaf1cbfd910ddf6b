import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  type GraphQLArgument,
  type GraphQLInputType,
} from 'graphql';
import { buildGraphQLSchema } from '../src/schema';
import { compileRoute, type JsonSchema } from '../src/rest/compile';
import { InputSchemas } from '../src/graphql/input-schema';
import { ROUTES } from '../src/rest/routes';
import { randomClientAddress, startTestServer, type TestServer } from './helpers/app';
import { signUp, type SignedUp } from './helpers/factories';

/*
 * Text PostgreSQL cannot store — a NUL character, a lone surrogate, bytes
 * that are not UTF-8 — on every string field of every mutation and of every
 * REST body and path: BAD_USER_INPUT (REST: 400) naming the field as that
 * face names it, nothing written, no error-level log line. The cases are
 * derived from the schema and the route table, so a new field is covered
 * without touching this file.
 */

/** Stands for bytes that are not UTF-8: replaced in the encoded body. */
const INVALID_UTF8_MARK = 'INVALIDUTF8MARK';
const BAD: Record<string, string> = {
  'a NUL character': 'before\u0000after',
  'a lone surrogate': 'before\ud800after',
  'bytes that are not UTF-8': `before${INVALID_UTF8_MARK}after`,
};
const KINDS = Object.keys(BAD);

/** The JSON body as bytes, with each mark replaced by bytes no UTF-8 decoder accepts. */
function encode(body: unknown): Buffer {
  const parts = JSON.stringify(body).split(INVALID_UTF8_MARK);
  const invalid = Buffer.from([0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80]);
  return Buffer.concat(
    parts.flatMap((part, i) => (i === 0 ? [Buffer.from(part)] : [invalid, Buffer.from(part)])),
  );
}

/** A value of `type` that every scalar accepts; strings are storable. */
function sample(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return sample(type.ofType);
  if (isListType(type)) return [sample(type.ofType)];
  if (isEnumType(type)) return type.getValues()[0]?.name;
  if (isInputObjectType(type)) {
    return Object.fromEntries(
      Object.values(type.getFields()).map((field) => [field.name, sample(field.type)]),
    );
  }
  switch (type.name) {
    case 'String':
    case 'ID':
      return 'fine';
    case 'Int':
    case 'Float':
      return 1;
    case 'Boolean':
      return false;
    default:
      throw new Error(`no sample for the scalar ${type.name}: add one here`);
  }
}

/** Paths (from the argument) to every string the argument may hold. */
function stringSlots(type: GraphQLInputType, path: string[]): string[][] {
  if (isNonNullType(type) || isListType(type)) return stringSlots(type.ofType, path);
  if (isInputObjectType(type)) {
    return Object.values(type.getFields()).flatMap((field) =>
      stringSlots(field.type, [...path, field.name]),
    );
  }
  return isEnumType(type) || !['String', 'ID'].includes(type.name) ? [] : [path];
}

function setAt(target: Record<string, unknown>, path: string[], value: string) {
  let node = target;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = path.at(-1) as string;
  node[last] = Array.isArray(node[last]) ? ['fine', value] : value;
}

interface GraphQLCase {
  mutation: string;
  field: string;
  document: string;
  variables: Record<string, unknown>;
}

async function graphqlCases(): Promise<GraphQLCase[]> {
  const schema = await buildGraphQLSchema();
  const mutations = Object.values(schema.getMutationType()?.getFields() ?? {});
  const cases: GraphQLCase[] = [];
  for (const mutation of mutations) {
    const args: readonly GraphQLArgument[] = mutation.args;
    const definitions = args.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(', ');
    const call = args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
    const selection = isLeafType(getNamedType(mutation.type)) ? '' : ' { __typename }';
    const document = `mutation Probe(${definitions}) { ${mutation.name}(${call})${selection} }`;
    for (const arg of args) {
      for (const slot of stringSlots(arg.type, [arg.name])) {
        for (const kind of KINDS) {
          const variables = Object.fromEntries(args.map((a) => [a.name, sample(a.type)]));
          setAt(variables, slot, BAD[kind] as string);
          cases.push({
            mutation: `${mutation.name} ${slot.join('.')}: ${kind}`,
            field: slot.at(-1) as string,
            document,
            variables,
          });
        }
      }
    }
  }
  return cases;
}

interface RestCase {
  name: string;
  method: string;
  path: string;
  field: string;
  body: Record<string, unknown> | undefined;
}

/** A value the JSON Schema of a REST body field accepts. */
function restSample(schema: JsonSchema): unknown {
  const type = Array.isArray(schema['type']) ? (schema['type'][0] as string) : schema['type'];
  const enumValues = schema['enum'] as unknown[] | undefined;
  if (enumValues) return enumValues[0];
  if (type === 'array') return [restSample(schema['items'] as JsonSchema)];
  if (type === 'boolean') return false;
  if (type === 'integer' || type === 'number') return 1;
  if (type === 'string') return 'fine';
  throw new Error(`no sample for ${JSON.stringify(schema)}`);
}

function isStringField(schema: JsonSchema): boolean {
  const type: unknown = Array.isArray(schema['type'])
    ? (schema['type'] as unknown[])[0]
    : schema['type'];
  if (type === 'array') return isStringField(schema['items'] as JsonSchema);
  return type === 'string' && !schema['enum'];
}

async function restCases(): Promise<RestCase[]> {
  const schema = await buildGraphQLSchema();
  const cases: RestCase[] = [];
  const schemas = new InputSchemas();
  for (const route of ROUTES.map((r) => compileRoute(schema, schemas, r))) {
    if (!route.mutation) continue;
    const properties = (route.requestSchema?.['properties'] ?? {}) as Record<string, JsonSchema>;
    const valid = () =>
      route.body
        ? Object.fromEntries(Object.entries(properties).map(([k, s]) => [k, restSample(s)]))
        : undefined;
    const path = route.path.replace(/:(\w+)/g, 'fine');
    for (const kind of KINDS) {
      for (const [field, property] of Object.entries(properties)) {
        if (!isStringField(property)) continue;
        const body = valid() as Record<string, unknown>;
        body[field] = Array.isArray(body[field]) ? ['fine', BAD[kind]] : BAD[kind];
        cases.push({
          name: `${route.method} ${route.path} ${field}: ${kind}`,
          method: route.method,
          path,
          field,
          body,
        });
      }
    }
    // A path carries bytes: a NUL, the bytes a lone surrogate would be, bytes that are not UTF-8.
    for (const param of Object.keys(route.params ?? {})) {
      for (const bytes of ['%00', '%ED%A0%80', '%FF%C3%28']) {
        cases.push({
          name: `${route.method} ${route.path} ${param}: ${bytes}`,
          method: route.method,
          path: route.path.replace(`:${param}`, `before${bytes}after`),
          field: param,
          body: valid(),
        });
      }
    }
  }
  return cases;
}

const USER_TABLES = [
  'users',
  'access_tokens',
  'api_keys',
  'organizations',
  'memberships',
  'invitations',
  'onboardings',
  'activity_events',
  'rate_limits',
];

let server: TestServer;
let user: SignedUp;
const lines: string[] = [];

/** A fingerprint of every row of every table the service writes. */
async function snapshot(): Promise<Record<string, string>> {
  // Token use is recorded in the background: settle it first.
  await server.app.deps.tokenUsage.flush();
  const result: Record<string, string> = {};
  for (const table of USER_TABLES) {
    const [row] = await server.sql<{ digest: string }>(
      `select md5(coalesce(string_agg(t::text, ',' order by t::text), '')) as digest from ${table} t`,
    );
    result[table] = row?.digest ?? '';
  }
  return result;
}

beforeAll(async () => {
  server = await startTestServer({ LOG_LEVEL: 'info' }, { logLines: lines });
  user = await signUp(server);
});
afterAll(() => server.close());

describe('text PostgreSQL cannot store', () => {
  it('is BAD_USER_INPUT naming the field on every string of every mutation, writing nothing', async () => {
    const cases = await graphqlCases();
    expect(cases.length).toBeGreaterThan(60);
    // One warm-up request, so that its token use is recorded before the first fingerprint.
    await server.graphql('{ viewer { id } }', {}, user.token);
    const before = await snapshot();
    const wrong: string[] = [];
    for (const probe of cases) {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${user.token}`,
          'x-forwarded-for': randomClientAddress(),
        },
        body: encode({ query: probe.document, variables: probe.variables }),
      });
      const body = (await response.json()) as {
        errors?: { extensions: Record<string, unknown> }[];
      };
      const error = body.errors?.[0]?.extensions;
      if (error?.['code'] !== 'BAD_USER_INPUT' || error['field'] !== probe.field) {
        wrong.push(`${probe.mutation}: ${JSON.stringify(body)}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(await snapshot()).toEqual(before);
    expect(lines.filter((line) => (JSON.parse(line) as { level: number }).level >= 50)).toEqual([]);
  });

  it('is 400 naming the field (as the REST face names it) on every REST body and path, writing nothing', async () => {
    const cases = await restCases();
    expect(cases.length).toBeGreaterThan(30);
    const before = await snapshot();
    const wrong: string[] = [];
    for (const probe of cases) {
      const response = await fetch(`${server.url}${probe.path}`, {
        method: probe.method,
        headers: {
          ...(probe.body ? { 'content-type': 'application/json' } : {}),
          authorization: `Bearer ${user.token}`,
          'x-forwarded-for': randomClientAddress(),
        },
        ...(probe.body ? { body: encode(probe.body) } : {}),
      });
      const body = (await response.json()) as { error?: { code?: string; field?: string } };
      if (
        response.status !== 400 ||
        body.error?.code !== 'BAD_USER_INPUT' ||
        body.error.field !== probe.field
      ) {
        wrong.push(`${probe.name}: ${response.status} ${JSON.stringify(body)}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(await snapshot()).toEqual(before);
    expect(lines.filter((line) => (JSON.parse(line) as { level: number }).level >= 50)).toEqual([]);
  });

  it('is refused in a GraphQL literal too, before anything runs', async () => {
    const result = await server.graphql(
      'mutation { updateProfile(input: { bio: "a\\u0000b" }) { id } }',
      {},
      user.token,
    );
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'bio' });
  });

  it('is refused without a token: the sign-in email', async () => {
    const result = await server.graphql(
      'mutation($input: CreateAccessTokenInput!) { createAccessToken(input: $input) { token } }',
      { input: { email: 'x\u0000@example.com', password: 'Whatever-1' } },
    );
    expect(result.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'email',
    });
  });
});
