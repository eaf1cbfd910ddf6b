import {
  buildSubgraphSchema,
  printSubgraphSchema,
  type GraphQLResolverMap,
} from '@apollo/subgraph';
import { execute, parse, type GraphQLSchema } from 'graphql';
import { createResolversMap } from 'type-graphql';
import type { Context } from './context';

/**
 * The newest Federation 2 version that both sides accept: @apollo/subgraph
 * 2.15.1 links up to v2.15, but @apollo/composition and @apollo/gateway
 * 2.14.4 (the newest published) refuse v2.15 ("Invalid version v2.15 for the
 * federation feature"), so a router of today composes v2.14.
 */
export const FEDERATION_URL = 'https://specs.apollo.dev/federation/v2.14';

/**
 * What the subgraph imports from the federation spec: `@key` for entities,
 * and the demand-control directives (federation >= v2.9 defines them; linking
 * the cost spec itself fails in @apollo/subgraph: `Unknown directive
 * "@listSize"`).
 */
const FEDERATION_IMPORTS = ['@key', '@cost', '@listSize'];

const LINK = `extend schema @link(url: "${FEDERATION_URL}", import: ${JSON.stringify(FEDERATION_IMPORTS)})`;

/**
 * How an entity type answers `_entities`: `(representation, context)` →
 * the object, or null. Apollo calls it with the request's context, outside
 * type-graphql, so no `@Authorized` or middleware runs: it authorizes itself.
 */
export type ReferenceResolver = (
  representation: Record<string, unknown>,
  context: Context,
) => Promise<unknown>;

/**
 * The Federation 2 subgraph of a type-graphql schema, as type-graphql's
 * `examples/apollo-federation-2` builds it: the schema printed with its
 * directives (`@key`, `@cost`, `@listSize` declared with `@Directive`),
 * under the federation `@link`, given back to `buildSubgraphSchema` with
 * type-graphql's own resolvers (`createResolversMap`: field resolvers with
 * the auth checker and validation, scalars, enums' internal values) and a
 * reference resolver per entity. The result adds `_service { sdl }` and
 * `_entities` to the API, and is what /graphql and the REST face execute.
 */
export function subgraphSchemaOf(
  apiSchema: GraphQLSchema,
  references: Record<string, ReferenceResolver>,
): GraphQLSchema {
  const typeDefs = parse(`${LINK}\n${printSubgraphSchema(apiSchema)}`);
  const resolvers = createResolversMap(apiSchema) as Record<string, Record<string, unknown>>;
  for (const [typeName, resolveReference] of Object.entries(references)) {
    if (!resolvers[typeName]) throw new Error(`no type ${typeName} to resolve references of`);
    resolvers[typeName] = { ...resolvers[typeName], __resolveReference: resolveReference };
  }
  // An array of modules: @apollo/subgraph 2.15 takes no single { typeDefs, resolvers }.
  return buildSubgraphSchema([{ typeDefs, resolvers: resolvers as GraphQLResolverMap<Context> }]);
}

/**
 * What `{ _service { sdl } }` answers: the SDL routers, `rover subgraph
 * introspect` and composition read, committed as `subgraph.graphql`.
 */
export async function serviceSdl(schema: GraphQLSchema): Promise<string> {
  const result = await execute({ schema, document: parse('{ _service { sdl } }') });
  const sdl = (result.data as { _service?: { sdl?: unknown } } | null | undefined)?._service?.sdl;
  if (typeof sdl !== 'string') throw new Error('the schema answers no _service { sdl }');
  return sdl.endsWith('\n') ? sdl : `${sdl}\n`;
}
