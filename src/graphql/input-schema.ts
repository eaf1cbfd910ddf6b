import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import { NOT_NULL } from '../common/validation';
import {
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
} from 'graphql';

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses it). */
export type JsonSchema = Record<string, unknown>;

/**
 * JSON Schemas of what GraphQL accepts as input: the types from the GraphQL
 * schema, and the constraints (lengths, patterns, formats, the password rule,
 * time zones) from the class-validator decorators that enforce them, read
 * from class-validator's own metadata by class-validator-jsonschema. The
 * validators and the documents that describe them therefore have one
 * definition; the OpenAPI document and the fuzz tests are built from this.
 *
 * Input object types are found by name (a type-graphql `@InputType()` is named
 * after its class); a field's arguments by the `@ArgsType()` class named
 * `<Field>Args` (`updateTimezone` -> `UpdateTimezoneArgs`).
 */
export class InputSchemas {
  private readonly classes: Record<string, JsonSchema>;

  constructor() {
    this.classes = validationMetadatasToSchemas() as Record<string, JsonSchema>;
  }

  /** The schema of a value of `type`. */
  of(type: GraphQLInputType): JsonSchema {
    const required = isNonNullType(type);
    const inner = required ? type.ofType : type;
    let schema: JsonSchema;
    if (isListType(inner)) schema = { type: 'array', items: this.of(inner.ofType) };
    else if (isInputObjectType(inner)) {
      const constraints = this.constraintsOf(inner.name);
      const properties: Record<string, JsonSchema> = {};
      const requiredFields: string[] = [];
      for (const field of Object.values(inner.getFields())) {
        properties[field.name] = this.field(field.type, constraints[field.name], field.description);
        if (isNonNullType(field.type)) requiredFields.push(field.name);
      }
      schema = {
        type: 'object',
        properties,
        required: requiredFields,
        additionalProperties: false,
      };
    } else schema = leafSchema(inner.name, inner);
    return required ? schema : nullable(schema);
  }

  /** The schema of a field's arguments, as one object (each argument a property). */
  argumentsOf(field: GraphQLField<unknown, unknown>): JsonSchema {
    const constraints = this.constraintsOf(
      `${field.name[0]?.toUpperCase()}${field.name.slice(1)}Args`,
    );
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const arg of field.args) {
      properties[arg.name] = this.argument(arg, constraints[arg.name]);
      if (isNonNullType(arg.type)) required.push(arg.name);
    }
    return { type: 'object', properties, required, additionalProperties: false };
  }

  /** One argument's schema, with the constraints of its `@ArgsType()` class. */
  argument(arg: GraphQLArgument, constraints?: JsonSchema): JsonSchema {
    return this.field(arg.type, constraints, arg.description);
  }

  /** The constraint schemas of a class's properties, by property name. */
  constraintsOf(className: string): Record<string, JsonSchema> {
    return (this.classes[className]?.['properties'] ?? {}) as Record<string, JsonSchema>;
  }

  private field(
    type: GraphQLInputType,
    constraints: JsonSchema | undefined,
    description: string | null | undefined,
  ): JsonSchema {
    const schema = withConstraints(this.of(type), constraints);
    return description ? { ...schema, description } : schema;
  }
}

/**
 * The GraphQL type's schema with the validators' constraints added: every
 * keyword but `type` (GraphQL says whether null is allowed), into the items
 * of a list too.
 */
function withConstraints(base: JsonSchema, constraints: JsonSchema | undefined): JsonSchema {
  if (!constraints) return base;
  const merged: JsonSchema = { ...base };
  for (const [key, value] of Object.entries(constraints)) {
    if (key === 'type') continue;
    if (key === NOT_NULL) {
      const types = ([] as unknown[]).concat(base['type'] ?? []).filter((t) => t !== 'null');
      merged['type'] = types.length === 1 ? types[0] : types;
      continue;
    }
    if (key === 'items' && typeof base['items'] === 'object') {
      merged['items'] = withConstraints(base['items'] as JsonSchema, value as JsonSchema);
    } else merged[key] = value;
  }
  return merged;
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

export function leafSchema(name: string, type: unknown): JsonSchema {
  if (isEnumType(type))
    return { type: 'string', enum: type.getValues().map((v) => v.value as string) };
  const scalar = SCALARS[name];
  if (!scalar) throw new Error(`No JSON Schema for the GraphQL type ${name}`);
  return scalar;
}

export function nullable(schema: JsonSchema): JsonSchema {
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
