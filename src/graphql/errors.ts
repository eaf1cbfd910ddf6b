import { unwrapResolverError } from '@apollo/server/errors';
import type { ValidationError } from 'class-validator';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import { AppError, ErrorCode, isErrorCode, type PublicError } from '../common/errors';
import { isDatabaseUnavailable } from '../infra/db/errors';

const INTERNAL: PublicError = {
  code: ErrorCode.INTERNAL_SERVER_ERROR,
  message: 'Something went wrong on our side. The error has been logged.',
};

/** Apollo's request-level codes: the request itself is malformed. */
const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'INTROSPECTION_DISABLED',
  'MAX_RECURSIVE_SELECTIONS_EXCEEDED',
]);

/**
 * Maps anything thrown while serving a request to what the client sees.
 * Unknown errors become INTERNAL_SERVER_ERROR with a fixed message: no stack,
 * SQL, or secret ever reaches a response.
 */
export function toPublicError(error: unknown): PublicError {
  const original = unwrapResolverError(error);
  if (original instanceof AppError) {
    return withOptional({ code: original.code, message: original.message }, original);
  }
  if (original instanceof ArgumentValidationError) {
    return fromValidationErrors(original.extensions.validationErrors);
  }
  if (isDatabaseUnavailable(original)) {
    return {
      code: ErrorCode.SERVICE_UNAVAILABLE,
      message: 'The service is temporarily unavailable. Try again shortly.',
      retryAfter: 5,
    };
  }
  if (original instanceof GraphQLError) {
    const code = original.extensions['code'];
    // Raised before execution (parse, validation, variable coercion): no path.
    const beforeExecution = !(error instanceof GraphQLError && error.path !== undefined);
    if (
      beforeExecution &&
      (code === undefined || (typeof code === 'string' && REQUEST_ERROR_CODES.has(code)))
    ) {
      return fromRequestError(original.message, original.originalError?.message);
    }
    // e.g. type-graphql's own AuthenticationError
    if (isErrorCode(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
      return { code, message: original.message };
    }
  }
  return INTERNAL;
}

export function isInternal(error: PublicError): boolean {
  return error.code === ErrorCode.INTERNAL_SERVER_ERROR;
}

/** Apollo `formatError`: the public error, keeping locations and path. */
export function formatGraphQLError(
  formatted: GraphQLFormattedError,
  error: unknown,
): GraphQLFormattedError {
  const { code, message, field, retryAfter } = toPublicError(error);
  return {
    message,
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: {
      code,
      ...(field === undefined ? {} : { field }),
      ...(retryAfter === undefined ? {} : { retryAfter }),
    },
  };
}

function withOptional(
  base: PublicError,
  extra: { field?: string | undefined; retryAfter?: number | undefined },
): PublicError {
  return {
    ...base,
    ...(extra.field === undefined ? {} : { field: extra.field }),
    ...(extra.retryAfter === undefined ? {} : { retryAfter: extra.retryAfter }),
  };
}

function fromValidationErrors(errors: ValidationError[]): PublicError {
  const first = errors[0];
  if (!first) return { code: ErrorCode.BAD_USER_INPUT, message: 'Invalid input.' };
  return {
    code: ErrorCode.BAD_USER_INPUT,
    message: `${firstMessages(first).join('; ')}.`,
    field: first.property,
  };
}

/** The constraint messages of the first failing node, descending into nested input. */
function firstMessages(error: ValidationError): string[] {
  const own = Object.values(error.constraints ?? {});
  if (own.length > 0) return own;
  const child = error.children?.[0];
  return child ? firstMessages(child) : [`${error.property} is invalid`];
}

/**
 * Request-level GraphQL errors quote the offending value ("Variable "$input"
 * got invalid value 123 at "input.password"; <reason>"). Rebuild them from
 * their parts so that no submitted value, such as a password, is echoed back.
 * `cause` is the message of the underlying coercion error, that is <reason>.
 */
export function fromRequestError(message: string, cause?: string): PublicError {
  const variableError = /^Variable "\$(\w+)" got invalid value /.exec(message);
  if (variableError) {
    const variable = variableError[1] ?? '';
    // The quoted value may itself contain '; ' or ' at "…"': split at the
    // known reason when there is one, so the value never leaks into it.
    const reason =
      cause && message.endsWith(`; ${cause}`)
        ? cause
        : message.slice(message.lastIndexOf('; ') + 2);
    const prefix = message.slice(0, message.length - reason.length - 2);
    const at = / at "([^"]+)"$/.exec(prefix)?.[1];
    const { text, field } = describeReason(reason);
    return {
      code: ErrorCode.BAD_USER_INPUT,
      message: `Invalid value for "${at ?? `$${variable}`}": ${text}`,
      field: field ?? topLevelField(at) ?? variable,
    };
  }
  const missing =
    /^Variable "\$(\w+)" (?:of required type "[^"]+" was not provided|of non-null type "[^"]+" must not be null)\./.exec(
      message,
    );
  if (missing) return { code: ErrorCode.BAD_USER_INPUT, message, field: missing[1] ?? '' };
  return { code: ErrorCode.BAD_USER_INPUT, message: scrubLiteral(message) };
}

function topLevelField(at: string | undefined): string | undefined {
  if (!at) return undefined;
  const rest = at.split('.')[1];
  return rest?.replace(/\[.*$/, '');
}

function describeReason(reason: string): { text: string; field?: string } {
  const unknownField = /^Field "(\w+)" is not defined by type "(\w+)"/.exec(reason);
  if (unknownField) {
    return {
      text: `Field "${unknownField[1]}" is not defined by type "${unknownField[2]}".`,
      field: unknownField[1] ?? '',
    };
  }
  const missingField = /^Field "(\w+)" of required type "([^"]+)" was not provided/.exec(reason);
  if (missingField) {
    return {
      text: `Field "${missingField[1]}" of required type "${missingField[2]}" was not provided.`,
      field: missingField[1] ?? '',
    };
  }
  const keep =
    /^(Expected non-nullable type "[^"]+" not to be null\.|Expected type "[^"]+" to be an object\.)/.exec(
      reason,
    );
  if (keep?.[1]) return { text: keep[1] };
  const enumValue = /does not exist in "(\w+)" enum/.exec(reason);
  if (enumValue) return { text: `Not a value of the "${enumValue[1]}" enum.` };
  const expected = /^Expected type "([^"]+)"/.exec(reason);
  if (expected) return { text: `Expected type "${expected[1]}".` };
  return { text: scrubLiteral(reason) };
}

/** Drops the quoted value from messages like `X cannot represent …: <value>`. */
function scrubLiteral(message: string): string {
  const expectedValue = /^Expected value of type "([^"]+)", found /.exec(message);
  if (expectedValue) return `Expected value of type "${expectedValue[1]}".`;
  const colon = message.indexOf(':');
  if (colon > 0 && /cannot represent|is not a valid|Value is not|Invalid/i.test(message)) {
    return `${message.slice(0, colon)}.`;
  }
  return message;
}
