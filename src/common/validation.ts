import { IsUrl, Matches, type ValidationOptions } from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';
import { ValidationMessages } from './errors';

/** Field limits, in characters, shared by every input that carries the field. */
export const Limits = {
  email: 254,
  name: 255,
  jobTitle: 255,
  bio: 2000,
  url: 2048,
  style: 64,
  tokenName: 100,
} as const;

/**
 * A JSON Schema mark (for src/graphql/input-schema.ts) on a field that GraphQL
 * lets be null but a rule refuses as null: may be absent, not null.
 */
export const NOT_NULL = 'x-not-null';

export function NotBlank(options?: ValidationOptions): PropertyDecorator {
  return Matches(/\S/, { message: ValidationMessages.notBlank, ...options });
}

export function IsHttpUrl(options?: ValidationOptions): PropertyDecorator {
  return withSchema(
    IsUrl(
      { protocols: ['http', 'https'], require_protocol: true, require_host: true },
      { message: ValidationMessages.httpUrl, ...options },
    ),
    { format: 'uri', pattern: '^[Hh][Tt][Tt][Pp][Ss]?://' },
  );
}

/**
 * A validation decorator together with the JSON Schema keywords that say the
 * same, for the documents generated from the validators' metadata
 * (src/graphql/input-schema.ts), where class-validator-jsonschema cannot
 * read them off the decorator itself (custom validators, options).
 */
export function withSchema(
  validator: PropertyDecorator,
  schema: Record<string, unknown>,
): PropertyDecorator {
  const document = JSONSchema(schema);
  return (target, property) => {
    validator(target, property);
    document(target, String(property));
  };
}
