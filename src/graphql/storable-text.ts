import { defaultFieldResolver, isObjectType, type GraphQLSchema } from 'graphql';
import { AppError, Errors } from '../common/errors';
import { unstorableText } from '../common/text';

/** The first string in `value` that cannot be stored, named by its argument or input field. */
function firstUnstorable(
  name: string,
  value: unknown,
): { field: string; reason: string } | undefined {
  if (typeof value === 'string') {
    const reason = unstorableText(value);
    return reason === undefined ? undefined : { field: name, reason };
  }
  if (Array.isArray(value)) {
    for (const item of value) {
      const fault = firstUnstorable(name, item);
      if (fault) return fault;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const fault = firstUnstorable(key, child);
      if (fault) return fault;
    }
  }
  return undefined;
}

/**
 * The one check every string input passes: each field that takes arguments
 * (every mutation, on /graphql and on the REST paths alike, however the value
 * arrived: variables, literals, REST bodies, path parameters) refuses a string
 * PostgreSQL cannot store with BAD_USER_INPUT naming its argument or input
 * field, before its resolver runs, so before any statement carries it.
 * Fields without arguments (every read on the hot path) are left as they are.
 */
export function refuseUnstorableText(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.args.length === 0) continue;
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args: Record<string, unknown>, context, info) => {
        const fault = firstUnstorable('', args);
        if (fault) throw new AppError(Errors.unstorableText(fault.field, fault.reason));
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}
