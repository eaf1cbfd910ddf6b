/**
 * Writes `schema.graphql` from the resolvers; with `--check`, fails instead
 * when the committed file differs from what the resolvers produce.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { printGraphQLSchema } from '../src/graphql/schema';
import { buildGraphQLSchema } from '../src/schema';

export const SCHEMA_FILE = path.resolve(__dirname, '..', '..', 'schema.graphql');

async function main(): Promise<number> {
  const sdl = printGraphQLSchema(await buildGraphQLSchema());
  if (process.argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(SCHEMA_FILE, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (committed !== sdl) {
      process.stderr.write('schema.graphql is stale: run `npm run schema:emit` and commit it.\n');
      return 1;
    }
    process.stdout.write('schema.graphql is up to date.\n');
    return 0;
  }
  writeFileSync(SCHEMA_FILE, sdl);
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`emit-schema failed: ${String(error)}\n`);
    process.exit(1);
  },
);
