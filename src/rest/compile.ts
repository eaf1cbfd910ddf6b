import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  OperationTypeNode,
  parse,
  typeFromAST,
  validate,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { TokenScope } from '../auth/scopes';
import { requiredScopeOf } from '../graphql/scopes';
import type { RestRoute } from './routes';

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses it). */
export type JsonSchema = Record<string, unknown>;

export interface CompiledRoute extends RestRoute {
  operation: DocumentNode;
  /** Whether the operation writes (a GraphQL mutation). */
  mutation: boolean;
  /** The token scopes the operation's root fields require, checked before the input is read. */
  scopes: readonly TokenScope[];
  /** Response-key paths (from the data root, split at dots) whose type is DateTime. */
  dateTimePaths: readonly (readonly string[])[];
  /** REST body field -> GraphQL name (input field or variable). */
  bodyFields: ReadonlyMap<string, string>;
  /** GraphQL name -> REST field, to name fields in errors. */
  restNames: ReadonlyMap<string, string>;
  requestSchema: JsonSchema | undefined;
  /** Schema of the success body; undefined for 204. */
  responseSchema: JsonSchema | undefined;
}

export const camelToSnake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * Parses and validates a route's operation against the schema once, at
 * start-up, and derives from the schema's types everything the executor and
 * the OpenAPI document need. A route that does not fit the schema stops the
 * server from starting.
 */
export function compileRoute(schema: GraphQLSchema, route: RestRoute): CompiledRoute {
  const operation = parse(route.document);
  const errors = validate(schema, operation);
  if (errors.length > 0) {
    throw new Error(
      `REST route ${route.method} ${route.path}: ${errors.map((e) => e.message).join('; ')}`,
    );
  }
  const definition = operation.definitions[0] as OperationDefinitionNode;
  const root =
    definition.operation === OperationTypeNode.QUERY
      ? schema.getQueryType()
      : schema.getMutationType();
  if (!root || operation.definitions.length !== 1) {
    throw new Error(
      `REST route ${route.method} ${route.path}: expected a single query or mutation`,
    );
  }

  // Every documented path needs a token: each root field it runs must name its scope.
  const scopes = new Set<TokenScope>();
  for (const selection of definition.selectionSet.selections) {
    const field =
      selection.kind === Kind.FIELD ? root.getFields()[selection.name.value] : undefined;
    const scope = requiredScopeOf(field?.extensions);
    if (!scope) {
      throw new Error(`REST route ${route.method} ${route.path}: a root field names no scope`);
    }
    scopes.add(scope);
  }

  const dateTimePaths = new Set<string>();
  const dataSchema = selectionSchema(root, definition.selectionSet, '', dateTimePaths);
  const { bodyFields, requestSchema } = bodyOf(schema, route, definition);
  const restNames = new Map([...bodyFields].map(([rest, graphql]) => [graphql, rest]));
  // Path parameters are named as the path names them (`keyId`, not `id`).
  for (const [param, variable] of Object.entries(route.params ?? {}))
    restNames.set(variable, param);
  return {
    ...route,
    operation,
    mutation: definition.operation === OperationTypeNode.MUTATION,
    scopes: [...scopes],
    dateTimePaths: [...dateTimePaths].map((path) => path.split('.')),
    bodyFields,
    restNames,
    requestSchema,
    responseSchema: route.status === 204 ? undefined : answerSchema(dataSchema, route),
  };
}

/** The body fields a route accepts and the GraphQL names they map to. */
function bodyOf(
  schema: GraphQLSchema,
  route: RestRoute,
  definition: OperationDefinitionNode,
): { bodyFields: Map<string, string>; requestSchema: JsonSchema | undefined } {
  const bodyFields = new Map<string, string>();
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  const restNameOf = (graphqlName: string) =>
    Object.entries(route.rename ?? {}).find(([, g]) => g === graphqlName)?.[0] ??
    (route.casing === 'snake' ? camelToSnake(graphqlName) : graphqlName);
  const add = (graphqlName: string, type: GraphQLInputType, description?: string | null) => {
    const rest = restNameOf(graphqlName);
    if (route.accepts && !route.accepts.includes(rest)) return;
    bodyFields.set(rest, graphqlName);
    properties[rest] = { ...inputSchema(type), ...(description ? { description } : {}) };
    if (isNonNullType(type)) required.push(rest);
  };

  const variables = definition.variableDefinitions ?? [];
  if (route.body === 'input') {
    const input = variables.find((v) => v.variable.name.value === 'input');
    const type = input && getNamedType(typeFromAST(schema, input.type));
    if (!isInputObjectType(type)) throw new Error(`REST route ${route.path}: no $input object`);
    for (const field of Object.values(type.getFields()))
      add(field.name, field.type, field.description);
  } else if (route.body === 'variables') {
    const fromParams = new Set(Object.values(route.params ?? {}));
    for (const variable of variables) {
      const name = variable.variable.name.value;
      const type = typeFromAST(schema, variable.type);
      if (!fromParams.has(name) && type) add(name, type as GraphQLInputType);
    }
  }
  if (!route.body) return { bodyFields, requestSchema: undefined };
  return {
    bodyFields,
    requestSchema: { type: 'object', properties, required, additionalProperties: false },
  };
}

const SCALARS: Readonly<Record<string, JsonSchema>> = {
  String: { type: 'string' },
  ID: { type: 'string' },
  Boolean: { type: 'boolean' },
  Int: { type: 'integer' },
  Float: { type: 'number' },
  DateTime: { type: 'string', format: 'date-time' },
  EmailAddress: { type: 'string', format: 'email' },
  URL: { type: 'string', format: 'uri' },
  TimeZone: { type: 'string' },
  JSONObject: { type: 'object' },
};

function nullable(schema: JsonSchema): JsonSchema {
  const type = schema['type'];
  if (typeof type === 'string') {
    const enumValues = schema['enum'] as unknown[] | undefined;
    return {
      ...schema,
      type: [type, 'null'],
      ...(enumValues ? { enum: [...enumValues, null] } : {}),
    };
  }
  return { anyOf: [schema, { type: 'null' }] };
}

function leafSchema(name: string, type: unknown): JsonSchema {
  if (isEnumType(type))
    return { type: 'string', enum: type.getValues().map((v) => v.value as string) };
  const scalar = SCALARS[name];
  if (!scalar) throw new Error(`REST: no JSON Schema for the GraphQL type ${name}`);
  return scalar;
}

function inputSchema(type: GraphQLInputType): JsonSchema {
  const required = isNonNullType(type);
  const inner = required ? type.ofType : type;
  const schema = isListType(inner)
    ? { type: 'array', items: inputSchema(inner.ofType) }
    : leafSchema(inner.name, inner);
  return required ? schema : nullable(schema);
}

/** The JSON Schema of what a selection set returns; records DateTime paths. */
function selectionSchema(
  parent: GraphQLOutputType,
  selectionSet: SelectionSetNode,
  prefix: string,
  dateTimePaths: Set<string>,
): JsonSchema {
  const named = getNamedType(parent);
  if (!isObjectType(named)) throw new Error(`REST: cannot select from ${named.name}`);
  const properties: Record<string, JsonSchema> = {};
  for (const selection of selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) throw new Error('REST: operations use plain fields only');
    const field = named.getFields()[selection.name.value];
    if (!field) throw new Error(`REST: unknown field ${selection.name.value}`);
    const key = selection.alias?.value ?? selection.name.value;
    const path = prefix ? `${prefix}.${key}` : key;
    if (getNamedType(field.type).name === 'DateTime') dateTimePaths.add(path);
    properties[key] = outputSchema(field.type, selection.selectionSet, path, dateTimePaths);
  }
  return {
    type: 'object',
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
  };
}

function outputSchema(
  type: GraphQLOutputType,
  selectionSet: SelectionSetNode | undefined,
  path: string,
  dateTimePaths: Set<string>,
): JsonSchema {
  const required = isNonNullType(type);
  const inner = required ? type.ofType : type;
  let schema: JsonSchema;
  if (isListType(inner)) {
    schema = {
      type: 'array',
      items: outputSchema(inner.ofType, selectionSet, path, dateTimePaths),
    };
  } else if (selectionSet) {
    schema = selectionSchema(inner, selectionSet, path, dateTimePaths);
  } else {
    schema = leafSchema(inner.name, inner);
  }
  return required ? schema : nullable(schema);
}

/** The schema without its null alternative: an answer that is there. */
function nonNull(schema: JsonSchema): JsonSchema {
  const type = schema['type'];
  if (Array.isArray(type)) {
    const enumValues = schema['enum'] as unknown[] | undefined;
    return {
      ...schema,
      type: type[0] as string,
      ...(enumValues ? { enum: enumValues.filter((v) => v !== null) } : {}),
    };
  }
  const anyOf = schema['anyOf'] as JsonSchema[] | undefined;
  return anyOf?.[0] ?? schema;
}

/** The schema of the answer: the result path, with `flatten` applied. */
function answerSchema(dataSchema: JsonSchema, route: RestRoute): JsonSchema {
  let schema = dataSchema;
  for (const key of route.result?.split('.') ?? []) {
    const properties = schema['properties'] as Record<string, JsonSchema>;
    schema = nonNull(properties[key] ?? {});
  }
  for (const key of route.flatten ?? []) {
    const properties = { ...(schema['properties'] as Record<string, JsonSchema>) };
    const child = nonNull(properties[key] ?? {});
    delete properties[key];
    Object.assign(properties, child['properties']);
    schema = { ...schema, properties, required: Object.keys(properties) };
  }
  return schema;
}
