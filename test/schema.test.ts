import { readFileSync } from 'node:fs';
import path from 'node:path';
import { printGraphQLSchema } from '../src/graphql/schema';
import { buildGraphQLSchema } from '../src/schema';

describe('schema.graphql', () => {
  it('is what the resolvers generate (run `npm run schema:emit` when this fails)', async () => {
    const committed = readFileSync(path.join(__dirname, '..', 'schema.graphql'), 'utf8');
    expect(printGraphQLSchema(await buildGraphQLSchema())).toBe(committed);
  });
});
