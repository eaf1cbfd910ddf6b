/**
 * Demand control: the costs declared with @cost / @listSize are in the
 * subgraph SDL and survive composition (what a router enforces), and the
 * service computes and enforces the same numbers before anything runs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse, validate, type GraphQLSchema } from 'graphql';
import { DEMAND_CONTROL, documentCost } from '../src/graphql/demand-control';
import { ROUTES } from '../src/rest/routes';
import { buildGraphQLSchema } from '../src/schema';
import { startTestServer, type TestServer } from './helpers/app';
import { signUp, type SignedUp } from './helpers/factories';

const SUBGRAPH = readFileSync(path.join(__dirname, '..', 'subgraph.graphql'), 'utf8');

let schema: GraphQLSchema;
let server: TestServer;
let user: SignedUp;

beforeAll(async () => {
  schema = await buildGraphQLSchema();
  server = await startTestServer();
  user = await signUp(server);
});

afterAll(async () => {
  await server.close();
});

const cost = (document: string) => documentCost(schema, parse(document));

it('the directives are in the subgraph SDL and in the composed supergraph a router reads', () => {
  expect(SUBGRAPH).toMatch(/accessTokens: \[AccessToken!\]! @listSize\(assumedSize: 20\)/);
  expect(SUBGRAPH).toMatch(/apiKeys: \[ApiKey!\]! @listSize\(assumedSize: 3\)/);
  expect(SUBGRAPH).toMatch(/signUp\(input: SignUpInput!\): AuthPayload! @cost\(weight: 100\)/);
  const { supergraphSdl, errors } = composeServices([
    { name: 'accounts', url: 'http://accounts.invalid/graphql', typeDefs: parse(SUBGRAPH) },
  ]);
  expect(errors).toBeUndefined();
  expect(supergraphSdl).toContain('https://specs.apollo.dev/cost/v0.1');
  expect(supergraphSdl).toMatch(/accessTokens: \[AccessToken!\]! @listSize\(assumedSize: 20/);
  expect(supergraphSdl).toMatch(/signUp\(input: SignUpInput!\): AuthPayload! @cost\(weight: 100\)/);
});

it.each([
  ['{ viewer { id } }', 1],
  ['{ viewer { id profile { email } user { name } } }', 3],
  // A list: instances × (1 + selections); the plan limit bounds the tokens.
  ['{ viewer { accessTokens { id name } } }', 1 + 20],
  ['{ viewer { onboardingProgress { steps { id } } } }', 1 + 1 + 5],
  // Lists with no bound of their own count as the router's list_size (10).
  ['{ viewer { organizations { id } } }', 1 + 10],
  // A page: `first` items of edges and nodes, else the largest page (100).
  [
    '{ viewer { organizations { organization { members(first: 5) { edges { node { id } } } } } } }',
    1 + 10 * (1 + 1 + (1 + 5 * (1 + 1))),
  ],
  [
    '{ viewer { organizations { organization { members { totalCount nodes { id } } } } } }',
    1 + 10 * (1 + 1 + (1 + 100 * 1)),
  ],
  ['{ viewer { accessTokens @skip(if: true) { id } __typename } }', 1],
  ['fragment T on AccessToken { id } { viewer { accessTokens { ...T } } }', 21],
  // A mutation: 10, plus its own @cost, plus its input object (1).
  [
    'mutation { signUp(input: {email: "a@b.co", password: "x", name: "A"}) { token } }',
    10 + 100 + 1,
  ],
])('%s costs %d, as the router computes it', (document, expected) => {
  expect(cost(document)).toBe(expected);
});

it('every REST route and the whole viewer are under the limit, and valid', () => {
  for (const document of [WHOLE_VIEWER, ...ROUTES.map((route) => route.document)]) {
    expect(validate(schema, parse(document))).toEqual([]);
  }
  for (const route of ROUTES) expect(cost(route.document)).toBeLessThan(DEMAND_CONTROL.maxCost / 2);
  expect(cost(WHOLE_VIEWER)).toBeLessThan(DEMAND_CONTROL.maxCost);
});

const WHOLE_VIEWER = /* GraphQL */ `
  {
    viewer {
      id
      profile {
        email
        name
        plan
        timezone
      }
      user {
        id
        name
        avatarUrl
      }
      accessTokens {
        id
        name
        lastUsedAt
      }
      apiKeys {
        id
        provider
        maskedKey
      }
      onboarding {
        completed
      }
      onboardingProgress {
        steps {
          id
          completed
        }
      }
      planLimits {
        plan
        accessTokens
      }
      invitations {
        id
      }
      organizations {
        role
        organization {
          id
          name
          memberCount
          members {
            totalCount
            nodes {
              id
              user {
                name
                email
              }
            }
          }
          invitations {
            nodes {
              id
              email
            }
          }
        }
      }
    }
  }
`;

it('over HTTP: the whole viewer runs, an operation above the limit is refused before running', async () => {
  const whole = await server.graphql(WHOLE_VIEWER, {}, user.token);
  expect(whole.errors).toBeUndefined();
  expect(whole.status).toBe(200);

  const heavy = `{ viewer { ${Array.from(
    { length: 3 },
    (_, i) =>
      `o${i}: organizations { organization { members { nodes { id user { name } } } invitations { nodes { id } } } }`,
  ).join(' ')} } }`;
  const expected = cost(heavy);
  expect(expected).toBeGreaterThan(DEMAND_CONTROL.maxCost);
  const refused = await server.graphql(heavy, {}, user.token);
  expect(refused.status).toBe(400);
  expect(refused.data).toBeUndefined();
  expect(refused.errors).toEqual([
    expect.objectContaining({
      message: `The operation's estimated cost, ${expected}, is above the limit of ${DEMAND_CONTROL.maxCost}.`,
      extensions: { code: 'BAD_USER_INPUT' },
    }),
  ]);
});
