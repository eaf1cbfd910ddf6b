/**
 * Writes `schema.graphql` (the API schema) and `subgraph.graphql` (what the
 * served subgraph's `_service { sdl }` answers) from the resolvers; with
 * `--check`, fails instead when a committed file differs from what the
 * resolvers produce, or when the subgraph does not compose
 * (`@apollo/composition`, as a router's supergraph build would).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { serviceSdl } from '../src/graphql/federation';
import { printGraphQLSchema } from '../src/graphql/schema';
import { buildApiSchema, buildGraphQLSchema } from '../src/schema';

const ROOT = path.resolve(__dirname, '..', '..');
export const SCHEMA_FILE = path.join(ROOT, 'schema.graphql');
export const SUBGRAPH_FILE = path.join(ROOT, 'subgraph.graphql');

/** The composition errors of this subgraph on its own (none: it composes). */
export function compositionErrors(sdl: string): string[] {
  const result = composeServices([
    { name: 'accounts', url: 'http://accounts.invalid/graphql', typeDefs: parse(sdl) },
  ]);
  return (result.errors ?? []).map((error) => error.message);
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return ''; // missing counts as stale
  }
}

async function main(): Promise<number> {
  const files = [
    { file: SCHEMA_FILE, text: printGraphQLSchema(await buildApiSchema()) },
    { file: SUBGRAPH_FILE, text: await serviceSdl(await buildGraphQLSchema()) },
  ];
  if (process.argv.includes('--check')) {
    let code = 0;
    for (const { file, text } of files) {
      const name = path.basename(file);
      if (readOrEmpty(file) !== text) {
        process.stderr.write(`${name} is stale: run \`npm run schema:emit\` and commit it.\n`);
        code = 1;
      } else {
        process.stdout.write(`${name} is up to date.\n`);
      }
    }
    const errors = compositionErrors(readOrEmpty(SUBGRAPH_FILE));
    for (const error of errors)
      process.stderr.write(`subgraph.graphql does not compose: ${error}\n`);
    if (errors.length === 0) process.stdout.write('subgraph.graphql composes.\n');
    return errors.length > 0 ? 1 : code;
  }
  for (const { file, text } of files) {
    writeFileSync(file, text);
    process.stdout.write(`wrote ${file}\n`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`emit-schema failed: ${String(error)}\n`);
    process.exit(1);
  },
);
