import { registerEnumType } from 'type-graphql';

/**
 * The GraphQL enum `name` whose values are the strings of `values`, a const
 * list that the owner of the values keeps (an entity's column, a service's
 * statuses): the one way this API makes an enum. Use the object returned in
 * `@Field(() => …)`; a field's TypeScript type stays the list's own union.
 */
export function graphqlEnum<const T extends string>(
  name: string,
  values: readonly T[],
  description?: string,
): { readonly [K in T]: K } {
  const enumObject = Object.fromEntries(values.map((value) => [value, value])) as {
    [K in T]: K;
  };
  registerEnumType(enumObject, { name, ...(description === undefined ? {} : { description }) });
  return enumObject;
}
