import {
  getNamedType,
  GraphQLNonNull,
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
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { TokenScope } from '../auth/scopes';
import { requiredScopeOf } from '../graphql/scopes';
import { leafSchema, nullable, type InputSchemas, type JsonSchema } from '../graphql/input-schema';
import type { RestRoute } from './routes';

export type { JsonSchema };

export interface CompiledRoute extends RestRoute {
  /**
   * The methods the path answers for this route: its own, and HEAD beside a
   * GET whose answer costs nothing to repeat. A download is not offered to
   * HEAD: its headers cannot be known without doing the export, which spends
   * the export quota.
   */
  methods: readonly string[];
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
  /** REST field (body field or path parameter) -> its JSON Schema, to describe it in errors. */
  fieldSchemas: ReadonlyMap<string, JsonSchema>;
  requestSchema: JsonSchema | undefined;
  /** Schema of the success body; undefined for 204. */
  responseSchema: JsonSchema | undefined;
}

/** Longest path parameter (the router answers 414 beyond it). */
export const MAX_PATH_PARAM_LENGTH = 100;

export const camelToSnake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * Parses and validates a route's operation against the schema once, at
 * start-up, and derives from the schema's types everything the executor and
 * the OpenAPI document need. A route that does not fit the schema stops the
 * server from starting.
 */
/**
 * JSON Schemas of JSONObject fields' objects, by `Type.field`
 * (`Mutation.exportData`): what GraphQL's type cannot say, given by the
 * composition root from the features that write those objects.
 */
export type AnswerSchemas = Readonly<Record<string, JsonSchema>>;

export function compileRoute(
  schema: GraphQLSchema,
  schemas: InputSchemas,
  route: RestRoute,
  answers: AnswerSchemas = {},
): CompiledRoute {
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
  const dataSchema = selectionSchema(root, definition.selectionSet, '', dateTimePaths, answers);
  const { bodyFields, requestSchema } = bodyOf(schema, schemas, route, definition);
  const restNames = new Map([...bodyFields].map(([rest, graphql]) => [graphql, rest]));
  // Path parameters are named as the path names them (`keyId`, not `id`).
  const fieldSchemas = new Map<string, JsonSchema>(
    Object.entries((requestSchema?.['properties'] ?? {}) as Record<string, JsonSchema>),
  );
  for (const [param, variable] of Object.entries(route.params ?? {})) {
    restNames.set(variable, param);
    fieldSchemas.set(param, { type: 'string', minLength: 1, maxLength: MAX_PATH_PARAM_LENGTH });
  }
  return {
    ...route,
    methods: route.method === 'GET' && !route.download ? ['GET', 'HEAD'] : [route.method],
    operation,
    mutation: definition.operation === OperationTypeNode.MUTATION,
    scopes: [...scopes],
    dateTimePaths: [...dateTimePaths].map((path) => path.split('.')),
    bodyFields,
    restNames,
    fieldSchemas,
    requestSchema,
    responseSchema: route.status === 204 ? undefined : answerSchema(dataSchema, route),
  };
}

/** The body fields a route accepts and the GraphQL names they map to. */
function bodyOf(
  schema: GraphQLSchema,
  schemas: InputSchemas,
  route: RestRoute,
  definition: OperationDefinitionNode,
): { bodyFields: Map<string, string>; requestSchema: JsonSchema | undefined } {
  const bodyFields = new Map<string, string>();
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  const restNameOf = (graphqlName: string) =>
    Object.entries(route.rename ?? {}).find(([, g]) => g === graphqlName)?.[0] ??
    (route.casing === 'snake' ? camelToSnake(graphqlName) : graphqlName);
  const add = (graphqlName: string, fieldSchema: JsonSchema, isRequired: boolean) => {
    const rest = restNameOf(graphqlName);
    if (route.accepts && !route.accepts.includes(rest)) return;
    // Every field has a limit: a text field the validators leave unbounded stops start-up.
    if (
      hasType(fieldSchema, 'string') &&
      fieldSchema['maxLength'] === undefined &&
      !fieldSchema['enum']
    ) {
      throw new Error(`REST route ${route.method} ${route.path}: ${rest} has no maximum length`);
    }
    bodyFields.set(rest, graphqlName);
    properties[rest] = fieldSchema;
    if (isRequired) required.push(rest);
  };

  const variables = definition.variableDefinitions ?? [];
  if (route.body === 'input') {
    const input = variables.find((v) => v.variable.name.value === 'input');
    const type = input && getNamedType(typeFromAST(schema, input.type));
    if (!isInputObjectType(type)) throw new Error(`REST route ${route.path}: no $input object`);
    const object = schemas.of(new GraphQLNonNull(type));
    const fields = object['properties'] as Record<string, JsonSchema>;
    const requiredFields = object['required'] as string[];
    for (const [name, fieldSchema] of Object.entries(fields))
      add(name, fieldSchema, requiredFields.includes(name));
  } else if (route.body === 'variables') {
    // Each variable is the argument it is passed as: its schema is that argument's.
    const fromParams = new Set(Object.values(route.params ?? {}));
    const rootField = definition.selectionSet.selections[0];
    const root =
      definition.operation === OperationTypeNode.QUERY
        ? schema.getQueryType()
        : schema.getMutationType();
    const field =
      rootField?.kind === Kind.FIELD ? root?.getFields()[rootField.name.value] : undefined;
    if (!field || rootField?.kind !== Kind.FIELD)
      throw new Error(`REST route ${route.path}: no root field`);
    const argumentsSchema = schemas.argumentsOf(field);
    const argumentSchemas = argumentsSchema['properties'] as Record<string, JsonSchema>;
    for (const argument of rootField.arguments ?? []) {
      if (argument.value.kind !== Kind.VARIABLE) continue;
      const variable = argument.value.name.value;
      const fieldSchema = argumentSchemas[argument.name.value];
      const definitionNode = variables.find((v) => v.variable.name.value === variable);
      if (fromParams.has(variable) || !fieldSchema || !definitionNode) continue;
      add(variable, fieldSchema, definitionNode.type.kind === Kind.NON_NULL_TYPE);
    }
  }
  if (!route.body) return { bodyFields, requestSchema: undefined };
  return {
    bodyFields,
    requestSchema: { type: 'object', properties, required, additionalProperties: false },
  };
}

const hasType = (schema: JsonSchema, type: string) =>
  ([] as unknown[]).concat(schema['type'] ?? []).includes(type);

/** The JSON Schema of what a selection set returns; records DateTime paths. */
function selectionSchema(
  parent: GraphQLOutputType,
  selectionSet: SelectionSetNode,
  prefix: string,
  dateTimePaths: Set<string>,
  answers: AnswerSchemas,
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
    // A JSONObject field's object, as its owner describes it (AnswerSchemas).
    const declared = answers[`${named.name}.${field.name}`];
    properties[key] =
      declared && !selection.selectionSet
        ? isNonNullType(field.type)
          ? declared
          : nullable(declared)
        : outputSchema(field.type, selection.selectionSet, path, dateTimePaths, answers);
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
  answers: AnswerSchemas,
): JsonSchema {
  const required = isNonNullType(type);
  const inner = required ? type.ofType : type;
  let schema: JsonSchema;
  if (isListType(inner)) {
    schema = {
      type: 'array',
      items: outputSchema(inner.ofType, selectionSet, path, dateTimePaths, answers),
    };
  } else if (selectionSet) {
    schema = selectionSchema(inner, selectionSet, path, dateTimePaths, answers);
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
