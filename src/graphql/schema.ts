import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema, getMetadataStorage, type NonEmptyArray } from 'type-graphql';
import { authChecker } from './auth-checker';
import { DateTimeScalar } from './scalars';
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
  readPlainFieldsDirectly();
  return buildSchema({
    resolvers,
    authChecker,
    authMode: 'error',
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validate: { forbidUnknownValues: true, stopAtFirstError: false },
    emitSchemaFile: false,
  });
}

/**
 * type-graphql gives every field of an object type a resolver of its own
 * unless told the field is "simple": one that builds a resolver-data object
 * and runs the (empty) middleware chain only to read `root[name]`. graphql-jit
 * inlines the property read of a field without a resolver, but calls
 * through its resolver machinery (promise checks, error paths) for one that
 * has it: on the members' first page that was ten calls per edge, and
 * marking them took the page from 762 to 471 µs of CPU (issue 19). So a field
 * is marked simple when nothing could run in such a resolver: no
 * `@Authorized` roles, no middleware (the schema has no global ones), the
 * property is read by the name the schema gives it, and it is a plain
 * property (not a getter or method, whose value may be a promise: a field
 * without a resolver is read synchronously). A field that declares
 * `simple` itself, and every `@FieldResolver`, keeps its own way.
 */
function readPlainFieldsDirectly(): void {
  for (const field of getMetadataStorage().fields) {
    if (field.simple !== undefined) continue;
    if ((field.roles?.length ?? 0) > 0 || (field.middlewares?.length ?? 0) > 0) continue;
    if (field.schemaName !== field.name) continue;
    const prototype = (field.target as { prototype?: object }).prototype;
    const own = prototype && Object.getOwnPropertyDescriptor(prototype, field.name);
    if (own && (own.get !== undefined || typeof own.value === 'function')) continue;
    field.simple = true;
  }
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
