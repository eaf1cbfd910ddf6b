import fc from 'fast-check';

/** A JSON Schema, as the OpenAPI document and src/graphql/input-schema.ts write them. */
export type Schema = Record<string, unknown>;

const typesOf = (schema: Schema): string[] => {
  const type = schema['type'] as string | string[] | undefined;
  return type === undefined ? [] : ([] as string[]).concat(type);
};

/** Text PostgreSQL can store (no NUL, no lone surrogate): what a valid value may hold. */
const storableChar = fc
  .integer({ min: 1, max: 0x10ffff })
  .filter((c) => c < 0xd800 || c > 0xdfff)
  .map((c) => String.fromCodePoint(c));

const TIME_ZONES = Intl.supportedValuesOf('timeZone');

/** Mixed letter case, as ECMA-402 allows for time-zone names. */
const anyCase = (text: string) =>
  fc
    .array(fc.boolean(), { minLength: text.length, maxLength: text.length })
    .map((upper) =>
      [...text].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join(''),
    );

const label = fc.stringMatching(/^[a-z][a-z0-9]{0,15}$/);

/** http(s) URLs validator.js accepts, within `maxLength`. */
const httpUrl = (maxLength: number) =>
  fc
    .tuple(
      fc.constantFrom('http', 'https', 'HTTPS'),
      fc.array(label, { minLength: 1, maxLength: 3 }),
      fc.constantFrom('com', 'org', 'io', 'example'),
      fc.array(fc.stringMatching(/^[A-Za-z0-9._~-]{1,20}$/), { maxLength: 4 }),
    )
    .map(([scheme, hosts, tld, path]) => `${scheme}://${hosts.join('.')}.${tld}/${path.join('/')}`)
    .filter((url) => url.length <= maxLength);

const email = fc
  .tuple(label, label, fc.constantFrom('com', 'org', 'example'))
  .map(([local, domain, tld]) => `${local}@${domain}.${tld}`);

/** Strings that satisfy a string schema: lengths in code points, pattern, format, the password rule. */
function validString(schema: Schema): fc.Arbitrary<string> {
  const minLength = (schema['minLength'] as number | undefined) ?? 0;
  const maxLength = (schema['maxLength'] as number | undefined) ?? 64;
  const format = schema['format'];
  if (format === 'uri') return httpUrl(maxLength);
  if (format === 'email') return email;
  if (format === 'iana-time-zone') return fc.constantFrom(...TIME_ZONES).chain(anyCase);
  const pattern = schema['pattern'] as string | undefined;
  const required = ((schema['allOf'] as Schema[] | undefined) ?? []).map(
    (part) => part['pattern'] as string,
  );
  if (pattern === '^[\\x21-\\x7e]+$') {
    const unit = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
    return fc.string({ unit, minLength: Math.max(minLength, 1), maxLength });
  }
  // Lengths up to the limit, the limit itself included now and then.
  const length = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.integer({ min: minLength, max: Math.min(maxLength, minLength + 24) }),
    },
    { weight: 1, arbitrary: fc.constant(maxLength) },
  );
  return length
    .chain((n) =>
      fc.tuple(
        fc.array(storableChar, { minLength: n, maxLength: n }),
        // The password rule: an uppercase letter and a digit somewhere.
        fc.constantFrom(...'ABCXYZ'),
        fc.constantFrom(...'0123456789'),
        fc.nat(),
      ),
    )
    .map(([chars, upper, digit, at]) => {
      const text = [...chars];
      if (required.length > 0 && text.length >= 2) {
        text[at % text.length] = upper;
        text[(at + 1) % text.length] = digit;
      }
      if (pattern === '\\S' && text.length > 0 && !/\S/.test(text.join(''))) text[0] = 'x';
      return text.join('');
    })
    .filter((text) => !pattern || new RegExp(pattern).test(text));
}

/** Values valid for `schema`. */
export function valid(schema: Schema): fc.Arbitrary<unknown> {
  const enumValues = schema['enum'] as unknown[] | undefined;
  if (enumValues) return fc.constantFrom(...enumValues);
  if (schema['anyOf']) return fc.oneof(...(schema['anyOf'] as Schema[]).map(valid));
  const types = typesOf(schema);
  if (types.length > 1) {
    return fc.oneof(
      ...types.map((type) => (type === 'null' ? fc.constant(null) : valid({ ...schema, type }))),
    );
  }
  switch (types[0] ?? 'any') {
    case 'string':
      return validString(schema);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return fc.integer();
    case 'array':
      return fc.array(valid((schema['items'] as Schema | undefined) ?? {}), {
        minLength: (schema['minItems'] as number | undefined) ?? 0,
        maxLength: Math.min((schema['maxItems'] as number | undefined) ?? 5, 5),
      });
    case 'object': {
      const properties = (schema['properties'] as Record<string, Schema> | undefined) ?? {};
      return fc.record(
        Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, valid(value)])),
        { requiredKeys: (schema['required'] as string[] | undefined) ?? [] },
      );
    }
    default:
      return fc.constant('x');
  }
}

/** One way of breaking a value of `schema`, with the reason, for the failure message. */
export interface Breakage {
  why: string;
  value: unknown;
}

/**
 * Values of `schema`'s object that break exactly one of its rules: an unknown
 * field, a required field left out, a wrong JSON type, null where it may not
 * be, too long, too short, outside the enum, too many items, a pattern or
 * format missed.
 */
export function invalid(
  schema: Schema,
  options: { graphql?: boolean; variables?: boolean } = {},
): fc.Arbitrary<Breakage> {
  const properties = (schema['properties'] as Record<string, Schema> | undefined) ?? {};
  const required = (schema['required'] as string[] | undefined) ?? [];
  const base = valid(schema) as fc.Arbitrary<Record<string, unknown>>;
  // GraphQL ignores variables its document does not declare; input objects refuse unknown fields.
  const variables = options.graphql && options.variables !== false;
  const breakages: fc.Arbitrary<Breakage>[] = variables
    ? []
    : [base.map((value) => ({ why: 'an unknown field', value: { ...value, unknownField: 'x' } }))];
  for (const key of required) {
    breakages.push(
      base.map((value) => {
        const { [key]: _left, ...rest } = value;
        return { why: `${key} left out`, value: rest };
      }),
    );
  }
  for (const [key, field] of Object.entries(properties)) {
    const at = (why: string, arbitrary: fc.Arbitrary<unknown>) =>
      breakages.push(
        fc
          .tuple(base, arbitrary)
          .map(([value, bad]) => ({ why: `${key}: ${why}`, value: { ...value, [key]: bad } })),
      );
    for (const bad of wrongValues(field, options.graphql === true)) at(bad.why, bad.value);
    // An input object's own fields, broken one at a time.
    if (typesOf(field).includes('object') && field['properties']) {
      breakages.push(
        fc.tuple(base, invalid(field, { ...options, variables: false })).map(([value, inner]) => ({
          why: `${key}.${inner.why}`,
          value: { ...value, [key]: inner.value },
        })),
      );
    }
  }
  return fc.oneof(...breakages);
}

/** Values a field's schema refuses. */
function wrongValues(
  schema: Schema,
  graphql: boolean,
): { why: string; value: fc.Arbitrary<unknown> }[] {
  const types = typesOf(schema);
  const items = schema['items'] as Schema | undefined;
  // GraphQL takes a single value for a list of that value ("a" for ["a"]).
  const coercible = graphql && types.includes('array') && items ? typesOf(items) : [];
  const wrong: { why: string; value: fc.Arbitrary<unknown> }[] = [];
  const wrongType = [
    { type: 'string', value: fc.string({ maxLength: 5 }) },
    { type: 'integer', value: fc.integer() },
    { type: 'boolean', value: fc.boolean() },
    { type: 'object', value: fc.constant({ a: 1 }) },
    { type: 'array', value: fc.constant([1]) },
  ].filter(
    ({ type }) =>
      !types.includes(type) &&
      !coercible.includes(type) &&
      !(type === 'integer' && types.includes('number')),
  );
  wrong.push({ why: 'a wrong JSON type', value: fc.oneof(...wrongType.map((w) => w.value)) });
  if (types.length > 0 && !types.includes('null'))
    wrong.push({ why: 'null', value: fc.constant(null) });
  const enumValues = schema['enum'] as unknown[] | undefined;
  if (enumValues) {
    wrong.push({
      why: 'not in the enum',
      value: fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !enumValues.includes(s)),
    });
  }
  const maxLength = schema['maxLength'] as number | undefined;
  if (maxLength !== undefined) {
    wrong.push({
      why: 'too long',
      value: fc
        .integer({ min: 1, max: 40 })
        .map((extra) => 'A1b'.repeat(maxLength).slice(0, maxLength + extra)),
    });
  }
  const minLength = schema['minLength'] as number | undefined;
  if (minLength !== undefined && minLength > 0) {
    wrong.push({
      why: 'too short',
      value: fc.constant('A1b'.repeat(minLength).slice(0, minLength - 1)),
    });
  }
  if (schema['pattern'] === '\\S')
    wrong.push({ why: 'blank', value: fc.constantFrom('', ' ', '\t \n') });
  if (schema['format'] === 'uri') {
    wrong.push({
      why: 'not an http(s) URL',
      value: fc.constantFrom('ftp://x.example/a', 'not a url', 'javascript:alert(1)'),
    });
  }
  if (schema['format'] === 'iana-time-zone') {
    wrong.push({
      why: 'not a time zone',
      value: fc.constantFrom('IST', 'UTC+5:30', '+05:30', 'Mars/Olympus', 'PST'),
    });
  }
  if (schema['allOf']) {
    wrong.push({
      why: 'breaks the password rule',
      value: fc.constantFrom('lowercase1', 'NODIGITSHERE', 'Sh0rt'),
    });
  }
  if (schema['pattern'] === '^[\\x21-\\x7e]+$') {
    wrong.push({
      why: 'not printable ASCII',
      value: fc.constantFrom('sk-with space-123', 'sk-ünïcode-1234'),
    });
  }
  const maxItems = schema['maxItems'] as number | undefined;
  const minItems = schema['minItems'] as number | undefined;
  if (types.includes('array') && items) {
    if (minItems !== undefined && minItems > 0) {
      wrong.push({
        why: 'too few items',
        value: fc.array(valid(items), { maxLength: minItems - 1 }),
      });
    }
    if (maxItems !== undefined) {
      wrong.push({
        why: 'too many items',
        value: fc.array(valid(items), { minLength: maxItems + 1, maxLength: maxItems + 3 }),
      });
    }
    for (const bad of wrongValues(items, graphql)) {
      if (bad.why === 'null' && typesOf(items).includes('null')) continue;
      wrong.push({ why: `an item ${bad.why}`, value: bad.value.map((item) => [item]) });
    }
  }
  return wrong;
}
