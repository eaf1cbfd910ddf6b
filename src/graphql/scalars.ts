import { GraphQLScalarType } from 'graphql';
import { DateTimeResolver, TimeZoneResolver } from 'graphql-scalars';

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

/**
 * graphql-scalars' DateTime, serialized to its RFC 3339 text here rather
 * than left a `Date` for `JSON.stringify` to call `toJSON` on: the same
 * characters in the answer, but an answer holding `Date` objects leaves
 * V8's fast path for `JSON.stringify` (a page of 20 members or invitations
 * has 20 to 40 of them; issue 19). The REST face reads either (its
 * `formatDateTimes`).
 */
export const DateTimeScalar = new GraphQLScalarType({
  ...DateTimeResolver.toConfig(),
  serialize(value) {
    const valid: unknown = DateTimeResolver.serialize(value);
    return valid instanceof Date ? valid.toISOString() : valid;
  },
});
