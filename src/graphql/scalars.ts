import { GraphQLScalarType } from 'graphql';
import { TimeZoneResolver } from 'graphql-scalars';

const checked = new Set<string>();

/**
 * graphql-scalars' TimeZone, validating each distinct name once: its
 * serializer builds two Intl.DateTimeFormat objects per value, which showed
 * as 4% of a profile read's CPU. There are a few hundred zone names.
 */
export const TimeZoneScalar = new GraphQLScalarType({
  ...TimeZoneResolver.toConfig(),
  serialize(value) {
    if (typeof value === 'string' && checked.has(value)) return value;
    const valid = TimeZoneResolver.serialize(value);
    if (typeof valid === 'string' && checked.size < 1_000) checked.add(valid);
    return valid;
  },
});
