import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema, type NonEmptyArray } from 'type-graphql';
import { authChecker } from './auth-checker';
import { subgraphSchemaOf, type ReferenceResolver } from './federation';
import { refuseUnstorableText } from './storable-text';

/**
 * The API schema of these resolvers, with the house's auth checker, scalars
 * and validation: what `schema.graphql` prints. It is served as a subgraph
 * (`servedSchemaOf`).
 */
export async function schemaOf(
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- type-graphql's own type for resolver classes
  resolvers: NonEmptyArray<Function>,
): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    authChecker,
    authMode: 'error',
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    validate: { forbidUnknownValues: true, stopAtFirstError: false },
    emitSchemaFile: false,
  });
}

/**
 * The schema /graphql and the REST face execute: the API schema as a
 * Federation 2 subgraph (federation.ts: `_service`, `_entities` with these
 * reference resolvers), every argument, entity representations included,
 * checked for text PostgreSQL cannot store (storable-text.ts).
 */
export function servedSchemaOf(
  apiSchema: GraphQLSchema,
  references: Record<string, ReferenceResolver>,
): GraphQLSchema {
  const served = refuseUnstorableText(subgraphSchemaOf(apiSchema, references));
  carryRootFieldExtensions(apiSchema, served);
  return served;
}

/**
 * The subgraph is rebuilt from SDL, which has no field extensions: the root
 * fields get back those of the API schema, where each declares its token
 * scope (scopes.ts), so that the REST face can read which scope each path
 * needs from the schema it executes.
 */
function carryRootFieldExtensions(from: GraphQLSchema, to: GraphQLSchema): void {
  for (const [source, target] of [
    [from.getQueryType(), to.getQueryType()],
    [from.getMutationType(), to.getMutationType()],
  ] as const) {
    const targetFields = target?.getFields() ?? {};
    for (const field of Object.values(source?.getFields() ?? {})) {
      const copy = targetFields[field.name] as { extensions: object } | undefined;
      if (copy) copy.extensions = { ...copy.extensions, ...field.extensions };
    }
  }
}

/** The SDL committed as `schema.graphql`: sorted, so diffs show real changes. */
export function printGraphQLSchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
