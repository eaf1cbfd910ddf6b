import {
  graphql,
  GraphQLInputObjectType,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
} from 'graphql';
import { EmailAddressResolver, URLResolver } from 'graphql-scalars';
import type { InputProblem, PublicError } from '../../src/common/errors';
import { toPublicError } from '../../src/graphql/errors';
import { buildGraphQLSchema } from '../../src/schema';

/*
 * Every kind of request error graphql-js raises, made by graphql-js itself,
 * and what the client reads of it (src/graphql/errors.ts). Part of that
 * rebuilding reads graphql-js's wording (the path after `at`, field names,
 * where a value follows): a graphql-js upgrade that words any of these
 * differently fails here, before a submitted value could be echoed.
 */

/** Custom scalars in an input type: none of ours has one, so a schema of its own. */
const Contact = new GraphQLInputObjectType({
  name: 'ContactInput',
  fields: {
    email: { type: new GraphQLNonNull(EmailAddressResolver) },
    site: { type: URLResolver },
  },
});
const tiny = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      contact: {
        type: GraphQLString,
        args: { input: { type: new GraphQLNonNull(Contact) } },
        resolve: () => 'ok',
      },
    },
  }),
});

const SIGNUP = 'mutation($input: SignUpInput!) { signUp(input: $input) { token } }';
const ONB =
  'mutation($input: CompleteOnboardingInput!) { completeOnboarding(input: $input) { onboarding { completed } } }';
const KEY = 'mutation($input: AddApiKeyInput!) { addApiKey(input: $input) { id } }';
const ok = { email: 'a@b.co', password: 'Sturdy-Passw0rd', name: 'N' };
const onb = {
  fullName: 'A',
  jobTitle: 'B',
  company: 'C',
  useCase: 'D',
  teamSize: 'E',
  prdStyle: 'F',
  interests: ['x'],
};

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildGraphQLSchema();
});

type Case = [
  name: string,
  schema: 'api' | GraphQLSchema,
  source: string,
  variables: Record<string, unknown> | undefined,
  expected: PublicError,
];
const api = 'api' as const;

/** The values the cases submit that must never be echoed. */
const SUBMITTED = [
  's3cr3t',
  'sk-live-secret',
  '12345678',
  'yes please',
  'x@',
  'Pass; word1',
  'not a url',
];

const CASES: Case[] = [
  [
    'variable: a nested value of the wrong scalar type',
    api,
    SIGNUP,
    { input: { ...ok, password: 123 } },
    {
      code: 'BAD_USER_INPUT',
      message: 'Invalid value for "input.password": String cannot represent a non string value.',
      field: 'password',
    },
  ],
  [
    'variable: a field the input type does not define',
    api,
    SIGNUP,
    { input: { ...ok, secret: 's3cr3t' } },
    {
      code: 'BAD_USER_INPUT',
      message: 'Invalid value for "$input": Field "secret" is not defined by type "SignUpInput".',
      field: 'secret',
    },
  ],
  [
    'variable: a field left out',
    api,
    SIGNUP,
    { input: { email: 'a@b.co', password: 'x' } },
    {
      code: 'BAD_USER_INPUT',
      message:
        'Invalid value for "$input": Field "name" of required type "String!" was not provided.',
      field: 'name',
    },
  ],
  [
    'variable: null for a non-null field',
    api,
    SIGNUP,
    { input: { ...ok, email: null } },
    {
      code: 'BAD_USER_INPUT',
      message:
        'Invalid value for "input.email": Expected non-nullable type "String!" not to be null.',
      field: 'email',
    },
  ],
  [
    'variable: not an object',
    api,
    SIGNUP,
    { input: 'Pass; word1' },
    {
      code: 'BAD_USER_INPUT',
      message: 'Invalid value for "$input": Expected type "SignUpInput" to be an object.',
      field: 'input',
    },
  ],
  [
    'variable: missing',
    api,
    SIGNUP,
    {},
    {
      code: 'BAD_USER_INPUT',
      message: 'Variable "$input" of required type "SignUpInput!" was not provided.',
      field: 'input',
    },
  ],
  [
    'variable: null',
    api,
    SIGNUP,
    { input: null },
    {
      code: 'BAD_USER_INPUT',
      message: 'Variable "$input" of non-null type "SignUpInput!" must not be null.',
      field: 'input',
    },
  ],
  [
    'variable: not a value of the enum',
    api,
    KEY,
    { input: { provider: 'sk-live-secret', key: 'sk-abcdefgh' } },
    {
      code: 'BAD_USER_INPUT',
      message: 'Invalid value for "input.provider": Not a value of the "Provider" enum.',
      field: 'provider',
    },
  ],
  [
    'variable: a list item of the wrong type',
    api,
    ONB,
    { input: { ...onb, interests: ['ok', 42] } },
    {
      code: 'BAD_USER_INPUT',
      message:
        'Invalid value for "input.interests[1]": String cannot represent a non string value.',
      field: 'interests',
    },
  ],
  [
    'variable: a Boolean given text',
    api,
    ONB,
    { input: { ...onb, createOrg: 'yes please' } },
    {
      code: 'BAD_USER_INPUT',
      message: 'Invalid value for "input.createOrg": Boolean cannot represent a non boolean value.',
      field: 'createOrg',
    },
  ],
  [
    'variable: a custom scalar refusing the value',
    tiny,
    'query($input: ContactInput!) { contact(input: $input) }',
    { input: { email: 'x@' } },
    {
      code: 'BAD_USER_INPUT',
      message: 'Invalid value for "input.email": Value is not a valid email address.',
      field: 'email',
    },
  ],
  [
    'variable: a custom scalar refusing a nested value',
    tiny,
    'query($input: ContactInput!) { contact(input: $input) }',
    { input: { email: 'a@b.co', site: 'not a url' } },
    {
      code: 'BAD_USER_INPUT',
      message: 'Invalid value for "input.site": Expected type "URL".',
      field: 'site',
    },
  ],
  [
    'variable: a value quoting its own message',
    api,
    SIGNUP,
    { input: { ...ok, password: ['Pass; word1 at "input.x"'] } },
    {
      code: 'BAD_USER_INPUT',
      message: 'Invalid value for "input.password": String cannot represent a non string value.',
      field: 'password',
    },
  ],
  [
    'literal: a String argument given a number',
    api,
    'mutation { updateTimezone(timezone: 12345678) { timezone } }',
    undefined,
    { code: 'BAD_USER_INPUT', message: 'String cannot represent a non string value.' },
  ],
  [
    'literal: a nested String given a number',
    api,
    'mutation { signUp(input: {email: "a@b.co", password: 12345678, name: "N"}) { token } }',
    undefined,
    { code: 'BAD_USER_INPUT', message: 'String cannot represent a non string value.' },
  ],
  [
    'literal: null for a non-null argument',
    api,
    'mutation { updateTimezone(timezone: null) { timezone } }',
    undefined,
    { code: 'BAD_USER_INPUT', message: 'Expected value of type "String!".' },
  ],
  [
    'literal: not a value of the enum',
    api,
    'mutation { addApiKey(input: {provider: nope, key: "sk-abcdefgh"}) { id } }',
    undefined,
    { code: 'BAD_USER_INPUT', message: 'Value "nope" does not exist in "Provider" enum.' },
  ],
  [
    'literal: an enum given a string',
    api,
    'mutation { addApiKey(input: {provider: "sk-live-secret", key: "sk-abcdefgh"}) { id } }',
    undefined,
    { code: 'BAD_USER_INPUT', message: 'Enum "Provider" cannot represent non-enum value.' },
  ],
  [
    'literal: a field the input type does not define',
    api,
    'mutation { signUp(input: {email: "a@b.co", password: "x", name: "N", secret: "s3cr3t"}) { token } }',
    undefined,
    { code: 'BAD_USER_INPUT', message: 'Field "secret" is not defined by type "SignUpInput".' },
  ],
  [
    'literal: a field left out',
    api,
    'mutation { signUp(input: {email: "a@b.co", password: "x"}) { token } }',
    undefined,
    {
      code: 'BAD_USER_INPUT',
      message: 'Field "SignUpInput.name" of required type "String!" was not provided.',
    },
  ],
  [
    'literal: a custom scalar refusing the value',
    tiny,
    'query { contact(input: {email: "x@"}) }',
    undefined,
    { code: 'BAD_USER_INPUT', message: 'Value is not a valid email address.' },
  ],
  [
    'document: an unknown field',
    api,
    '{ viewer { nope } }',
    undefined,
    { code: 'BAD_USER_INPUT', message: 'Cannot query field "nope" on type "Viewer".' },
  ],
  [
    'document: a syntax error',
    api,
    '{ viewer { ',
    undefined,
    { code: 'BAD_USER_INPUT', message: 'Syntax Error: Expected Name, found <EOF>.' },
  ],
];

const PROBLEMS: Readonly<Record<string, InputProblem>> = {
  'variable: a nested value of the wrong scalar type': 'invalid',
  'variable: a field the input type does not define': 'invalid',
  'variable: a field left out': 'required',
  'variable: null for a non-null field': 'null',
  'variable: not an object': 'invalid',
  'variable: missing': 'required',
  'variable: null': 'null',
  'variable: not a value of the enum': 'invalid',
  'variable: a list item of the wrong type': 'invalid',
  'variable: a Boolean given text': 'invalid',
  'variable: a custom scalar refusing the value': 'invalid',
  'variable: a custom scalar refusing a nested value': 'invalid',
  'variable: a value quoting its own message': 'invalid',
};

describe('request errors as the client reads them', () => {
  it.each(CASES)('%s', async (_name, target, source, variableValues, expected) => {
    const result = await graphql({
      schema: target === 'api' ? schema : target,
      source,
      variableValues,
      contextValue: {},
    });
    const [error] = result.errors ?? [];
    expect(error).toBeDefined();
    const { problem, ...answer } = toPublicError(error);
    expect(answer).toEqual(expected);
    // What REST words its own message from: the kind of problem, for variables.
    expect(problem).toBe(PROBLEMS[_name]);
    // Nothing of a submitted value comes back.
    for (const value of SUBMITTED) expect(answer.message).not.toContain(value);
  });
});
