import { CompiledExecution } from '../src/graphql/compiled-execution';
import { startTestServer, type TestServer } from './helpers/app';
import { signUp, type SignedUp } from './helpers/factories';
import { addMember, createOrganization } from './helpers/organizations';

/*
 * graphql-jit runs the queries a server has seen before (see
 * src/graphql/compiled-execution.ts). These tests hold it to graphql-js: two
 * servers on one database, one compiling every query on first sight and one
 * never compiling, answer the same requests, and every response must be the
 * same, status and body, errors included.
 *
 * No document selects `lastUsedAt` or `lastActiveAt`: the two servers write
 * them on their own schedules, so they may change between the two answers.
 */

const WHOLE_VIEWER = /* GraphQL */ `
  query Whole {
    __typename
    viewer {
      __typename
      id
      ...Profile
      tokens: accessTokens {
        __typename
        id
        name
        createdAt
      }
      apiKeys {
        id
        provider
        name
        maskedKey
        status
        createdAt
      }
      onboarding {
        completed
        completedAt
        preferences {
          company
          useCase
          teamSize
          prdStyle
          interests
        }
      }
      onboardingProgress {
        steps {
          id
          title
          completed
        }
        completedCount
        totalCount
        percentComplete
        nextStep {
          id
        }
      }
      planLimits {
        plan
        brands
        prompts
        competitors
        accessTokens
        contentScoresPerDay
        activeAccessTokens
      }
      organizations {
        role
        joinedAt
        organization {
          ... on Organization {
            id
            name
            memberCount
          }
        }
      }
    }
  }
  fragment Profile on Viewer {
    profile {
      id
      email
      name
      jobTitle
      bio
      avatarUrl
      preferredStyle
      timezone
      emailVerified
      plan
      createdAt
      updatedAt
    }
  }
`;

const DIRECTIVES = /* GraphQL */ `
  query Directives($a: Boolean!, $b: Boolean = true) {
    viewer {
      id @include(if: $a)
      ... on Viewer @skip(if: $a) {
        planLimits {
          plan
        }
      }
      ...Tokens @include(if: $b)
      onboardingProgress @skip(if: $b) {
        completedCount
      }
      profile {
        email @include(if: $b) @skip(if: $a)
        name @include(if: true)
        name @skip(if: $a)
      }
    }
  }
  fragment Tokens on Viewer {
    accessTokens {
      name
    }
  }
`;

/** graphql-jit 0.8 gets this one wrong; graphql-js keeps it (see repeatsAConditionalSpread). */
const REPEATED_SPREAD = /* GraphQL */ `
  query Repeated($b: Boolean!) {
    viewer {
      ...Tokens @include(if: $b)
      ...Tokens @skip(if: $b)
    }
  }
  fragment Tokens on Viewer {
    accessTokens {
      name
    }
  }
`;

const TWO_OPERATIONS = /* GraphQL */ `
  query Mine {
    viewer {
      profile {
        email
      }
    }
  }
  query Plan {
    viewer {
      planLimits {
        plan
      }
    }
  }
`;

const INTROSPECTION = /* GraphQL */ `
  {
    __type(name: "Viewer") {
      name
      kind
      fields {
        name
        type {
          kind
          ofType {
            name
          }
        }
      }
    }
  }
`;

interface Case {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  as: 'owner' | 'nobody' | 'unknown token';
}

const CASES: Case[] = [
  { name: 'the whole viewer, with fragments and aliases', query: WHOLE_VIEWER, as: 'owner' },
  {
    name: '@skip and @include, on fields, spreads and inline fragments',
    query: DIRECTIVES,
    variables: { a: true },
    as: 'owner',
  },
  {
    name: 'the same document, the other way round',
    query: DIRECTIVES,
    variables: { a: false, b: false },
    as: 'owner',
  },
  {
    name: 'a variable of the wrong type',
    query: DIRECTIVES,
    variables: { a: 'yes' },
    as: 'owner',
  },
  { name: 'a missing required variable', query: DIRECTIVES, variables: {}, as: 'owner' },
  { name: 'null for a non-null variable', query: DIRECTIVES, variables: { a: null }, as: 'owner' },
  {
    name: 'an unknown variable beside the known ones',
    query: DIRECTIVES,
    variables: { a: true, c: 1 },
    as: 'owner',
  },
  {
    name: 'one fragment spread twice, under opposite conditions',
    query: REPEATED_SPREAD,
    variables: { b: false },
    as: 'owner',
  },
  { name: 'no token', query: WHOLE_VIEWER, as: 'nobody' },
  { name: 'a token nobody holds', query: WHOLE_VIEWER, as: 'unknown token' },
  { name: 'the named operation of two', query: TWO_OPERATIONS, operationName: 'Plan', as: 'owner' },
  { name: 'the other one', query: TWO_OPERATIONS, operationName: 'Mine', as: 'owner' },
  { name: 'no operation name with two', query: TWO_OPERATIONS, as: 'owner' },
  { name: 'an unknown operation name', query: TWO_OPERATIONS, operationName: 'X', as: 'owner' },
  { name: 'introspection', query: INTROSPECTION, as: 'nobody' },
];

let reference: TestServer;
let compiled: TestServer;
let owner: SignedUp;
const execute = jest.spyOn(CompiledExecution.prototype, 'execute');
/** The compiled server's engine: the one `execute` has been called on. */
const engines = () => [...new Set(execute.mock.contexts as CompiledExecution[])];

beforeAll(async () => {
  [reference, compiled] = await Promise.all([
    startTestServer({ GRAPHQL_COMPILE_ON: '0' }),
    startTestServer({ GRAPHQL_COMPILE_ON: '1' }),
  ]);
  owner = await signUp(reference);
  const organization = await createOrganization(reference, owner.token, 'Compiled Co');
  const teammate = await signUp(reference);
  await addMember(reference, organization, teammate.id, 'admin', new Date(Date.now() + 1000));
  const added = await reference.graphql(
    'mutation { addApiKey(input: {provider: anthropic, key: "sk-ant-abcdefghijkl1234"}) { id } }',
    {},
    owner.token,
  );
  expect(added.errors).toBeUndefined();
});
afterAll(async () => {
  await Promise.all([reference.close(), compiled.close()]);
});

/** What a client sees of a response. */
async function send(server: TestServer, request: Case) {
  const token = { owner: owner.token, nobody: undefined, 'unknown token': 'x'.repeat(43) }[
    request.as
  ];
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({
      query: request.query,
      variables: request.variables,
      operationName: request.operationName,
    }),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: await response.json(),
  };
}

describe('graphql-jit answers as graphql-js does', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, request) => {
    const expected = await send(reference, request);
    // The second sighting runs what the first compiled.
    for (let i = 0; i < 2; i++) {
      expect(await send(compiled, request)).toStrictEqual(expected);
    }
  });

  it('did compile: every query operation above but the repeated spread is held compiled', async () => {
    // Each case twice (compiled on first sight), whatever ran before this test.
    for (const request of CASES) {
      for (let i = 0; i < 2; i++) await send(compiled, request);
    }
    expect(engines()).toHaveLength(1);
    // Whole, Directives, Mine, Plan and the introspection query.
    expect(engines()[0]?.size).toBe(5);
  });

  it('answers the same when the viewer read fails mid-way', async () => {
    const refuse = (server: TestServer) => {
      const { statements } = server.app.deps;
      const real = statements.query.bind(statements);
      return jest
        .spyOn(statements, 'query')
        .mockImplementation((name, text, values) =>
          name.startsWith('viewer_owned')
            ? Promise.reject(new Error('refused'))
            : real(name, text, values),
        );
    };
    const spies = [refuse(reference), refuse(compiled)];
    try {
      const request: Case = { name: 'failing', query: WHOLE_VIEWER, as: 'owner' };
      const expected = await send(reference, request);
      const actual = await send(compiled, request);
      expect(expected.body).toMatchObject({
        data: { viewer: null },
        errors: [{ extensions: { code: 'INTERNAL_SERVER_ERROR' }, path: ['viewer', 'tokens'] }],
      });
      // The one difference: when several non-null fields fail under one
      // nullable field, graphql-js reports the first error and graphql-jit
      // reports each (the spec asks that every field error be reported, and
      // allows either here); the data and status are the same.
      type Body = { errors: unknown[] };
      const { errors, ...data } = actual.body as Body;
      const { errors: firstError, ...expectedData } = expected.body as Body;
      expect({ ...actual, body: data }).toStrictEqual({ ...expected, body: expectedData });
      expect(firstError).toHaveLength(1);
      expect(errors).toContainEqual(firstError[0]);
      expect(errors.map((e) => (e as { path: string[] }).path)).toEqual(
        [
          'tokens',
          'apiKeys',
          'onboarding',
          'onboardingProgress',
          'planLimits',
          'organizations',
        ].map((field) => ['viewer', field]),
      );
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it('leaves mutations to graphql-js', async () => {
    // A query first, so that the engine exists and holds something to compare.
    await send(compiled, CASES[0]!);
    const [engine] = engines();
    expect(engine).toBeDefined();
    const before = engine?.size;
    expect(before).toBeGreaterThan(0);
    const mutation: Case = {
      name: 'mutation',
      query: 'mutation { recordActivity { recorded } }',
      as: 'owner',
    };
    for (let i = 0; i < 3; i++) {
      const result = await send(compiled, mutation);
      expect(result.status).toBe(200);
    }
    expect(engine?.size).toBe(before);
  });
});
