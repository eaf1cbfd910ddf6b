import { readFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { GraphQLObjectType, parse } from 'graphql';
import { serviceSdl } from '../src/graphql/federation';
import { printGraphQLSchema } from '../src/graphql/schema';
import { buildApiSchema, buildGraphQLSchema } from '../src/schema';

const committed = (file: string) => readFileSync(path.join(__dirname, '..', file), 'utf8');

describe('schema.graphql and subgraph.graphql', () => {
  it('schema.graphql is what the resolvers generate (run `npm run schema:emit` when this fails)', async () => {
    expect(printGraphQLSchema(await buildApiSchema())).toBe(committed('schema.graphql'));
  });

  it('subgraph.graphql is what _service { sdl } answers (run `npm run schema:emit` when this fails)', async () => {
    expect(await serviceSdl(await buildGraphQLSchema())).toBe(committed('subgraph.graphql'));
  });

  it('subgraph.graphql links Federation 2.14, owns User by its id, and composes', () => {
    const sdl = committed('subgraph.graphql');
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.14"');
    expect(sdl).toMatch(/type User @key\(fields: "id"\)/);
    const { errors } = composeServices([
      { name: 'accounts', url: 'http://accounts.invalid/graphql', typeDefs: parse(sdl) },
    ]);
    expect(errors ?? []).toEqual([]);
  });
});

describe('the served schema', () => {
  const fieldsOf = async (type: string) => {
    const found = (await buildGraphQLSchema()).getType(type);
    if (!(found instanceof GraphQLObjectType)) throw new Error(`no object type ${type}`);
    return found.getFields();
  };

  it('reads plain fields as properties: no resolver of their own (src/graphql/schema.ts)', async () => {
    const member = await fieldsOf('OrganizationMember');
    for (const name of ['id', 'role', 'joinedAt', 'user', 'organization']) {
      expect(member[name]?.resolve).toBeUndefined();
    }
    expect((await fieldsOf('MemberUser')).email?.resolve).toBeUndefined();
    expect((await fieldsOf('OrganizationMemberEdge')).cursor?.resolve).toBeUndefined();
  });

  it('keeps a resolver where one must run: scoped root fields, field resolvers, getters', async () => {
    expect((await fieldsOf('Query')).viewer?.resolve).toBeInstanceOf(Function);
    expect((await fieldsOf('Mutation')).updateProfile?.resolve).toBeInstanceOf(Function);
    expect((await fieldsOf('Organization')).members?.resolve).toBeInstanceOf(Function);
    // A getter answering a promise: read without a resolver, the promise itself would be the value.
    expect((await fieldsOf('OrganizationMemberConnection')).totalCount?.resolve).toBeInstanceOf(
      Function,
    );
  });
});
