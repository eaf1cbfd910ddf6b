import {
  GraphQLError,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  OperationTypeNode,
  parse,
  type DocumentNode,
} from 'graphql';
import { CompiledExecution, type ExecutionRequest } from '../../src/graphql/compiled-execution';

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      hello: { type: GraphQLString, resolve: () => 'world' },
      failing: {
        type: new GraphQLNonNull(GraphQLString),
        resolve: () => {
          throw new Error('broken');
        },
      },
      coded: {
        type: GraphQLString,
        resolve: () => {
          throw new GraphQLError('no', { extensions: { code: 'FORBIDDEN' } });
        },
      },
    },
  }),
  mutation: new GraphQLObjectType({
    name: 'Mutation',
    fields: { touch: { type: GraphQLString, resolve: () => 'touched' } },
  }),
});

function request(document: DocumentNode, operation = OperationTypeNode.QUERY): ExecutionRequest {
  return { document, operationName: null, operation, contextValue: {}, variableValues: undefined };
}

describe('CompiledExecution', () => {
  it('compiles a document the Nth time it is seen, and answers the same before and after', async () => {
    const engine = new CompiledExecution(schema, { compileOn: 3 });
    const document = parse('{ hello }');
    const answers = [];
    for (let i = 1; i <= 4; i++) {
      answers.push(await engine.execute(request(document)));
      expect(engine.size).toBe(i >= 3 ? 1 : 0);
    }
    expect(new Set(answers.map((a) => JSON.stringify(a)))).toEqual(
      new Set([JSON.stringify({ data: { hello: 'world' } })]),
    );
  });

  it('counts sightings per document object, as Apollo’s document store hands them out', async () => {
    const engine = new CompiledExecution(schema, { compileOn: 2 });
    await engine.execute(request(parse('{ hello }')));
    await engine.execute(request(parse('{ hello }')));
    expect(engine.size).toBe(0);
  });

  it('never compiles a mutation', async () => {
    const engine = new CompiledExecution(schema, { compileOn: 1 });
    const document = parse('mutation { touch }');
    for (let i = 0; i < 3; i++) {
      expect(await engine.execute(request(document, OperationTypeNode.MUTATION))).toEqual({
        data: { touch: 'touched' },
      });
    }
    expect(engine.size).toBe(0);
  });

  it('holds at most maxCompiled documents, dropping the least recently used', async () => {
    const engine = new CompiledExecution(schema, { compileOn: 1, maxCompiled: 2 });
    const [a, b, c] = ['{ hello }', '{ h: hello }', '{ x: hello }'].map((q) => parse(q));
    await engine.execute(request(a!));
    await engine.execute(request(b!));
    await engine.execute(request(a!)); // a is now the most recent
    await engine.execute(request(c!)); // b goes
    expect(engine.size).toBe(2);
    const held = (engine as unknown as { compiled: Map<DocumentNode, unknown> }).compiled;
    expect([...held.keys()]).toEqual([a, c]);
  });

  it('gives Apollo graphql-js errors, with extensions, locations, path and the original error', async () => {
    const engine = new CompiledExecution(schema, { compileOn: 1 });
    const document = parse('{ hello coded failing }');
    const result = await engine.execute(request(document));
    expect(engine.size).toBe(1);
    expect(result.data).toBeNull();
    const errors = result.errors ?? [];
    expect(errors.map((e) => e instanceof GraphQLError && e.constructor === GraphQLError)).toEqual([
      true,
      true,
    ]);
    const byPath = Object.fromEntries(errors.map((e) => [String(e.path), e]));
    expect(byPath['coded']?.extensions).toEqual({ code: 'FORBIDDEN' });
    expect(byPath['coded']?.locations).toEqual([{ line: 1, column: 9 }]);
    expect(byPath['failing']?.extensions).toEqual({});
    expect(byPath['failing']?.originalError?.message).toBe('broken');
  });
});
