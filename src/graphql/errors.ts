import { unwrapResolverError } from '@apollo/server/errors';
import type { ValidationError } from 'class-validator';
import {
  GraphQLError,
  Kind,
  type ASTNode,
  type GraphQLFormattedError,
  type ValueNode,
  type VariableDefinitionNode,
} from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import {
  AppError,
  ErrorCode,
  Errors,
  extensionsOf,
  InputReasons,
  isErrorCode,
  ValidationMessages,
  type InputProblem,
  type PublicError,
} from '../common/errors';
import { isDatabaseUnavailable } from '../infra/db/errors';

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
  if (original instanceof AppError) return original.public;
  if (original instanceof ArgumentValidationError) {
    return fromValidationErrors(original.extensions.validationErrors);
  }
  if (isDatabaseUnavailable(original)) return Errors.serviceUnavailable();
  if (original instanceof GraphQLError) {
    const code = original.extensions['code'];
    // Raised before execution (parse, validation, variable coercion): no path.
    const beforeExecution = !(error instanceof GraphQLError && error.path !== undefined);
    if (
      beforeExecution &&
      (code === undefined || (typeof code === 'string' && REQUEST_ERROR_CODES.has(code)))
    ) {
      return fromRequestError(original);
    }
    // e.g. type-graphql's own AuthenticationError
    if (isErrorCode(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
      return { code, message: original.message };
    }
  }
  return Errors.internal();
}

export function isInternal(error: PublicError): boolean {
  return error.code === ErrorCode.INTERNAL_SERVER_ERROR;
}

/** Apollo `formatError`: the public error, keeping locations and path. */
export function formatGraphQLError(
  formatted: GraphQLFormattedError,
  error: unknown,
): GraphQLFormattedError {
  const publicError = toPublicError(error);
  return {
    message: publicError.message,
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: extensionsOf(publicError),
  };
}

function fromValidationErrors(errors: ValidationError[]): PublicError {
  const first = errors[0];
  if (!first) return Errors.invalidInput();
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
  return child ? firstMessages(child) : [ValidationMessages.invalid(error.property)];
}

/*
 * Request-level errors: graphql-js quotes the offending value in some of
 * them ("Variable "$input" got invalid value 123 at "input.password"; String
 * cannot represent a non string value: 123"). Each is rebuilt so that no
 * submitted value, such as a password, is echoed back. What graphql-js gives
 * as structure is used as such: the error's `nodes` say which variable (its
 * definition) or which literal of the document (a value node) is at fault,
 * `originalError` carries the coercion's own reason apart from the value
 * graphql-js put in front of it, and a scalar's own error hangs under that.
 * What is still read from message text is the five patterns below;
 * test/unit/request-errors.test.ts has graphql-js itself raise every case
 * and pins what the client reads, so that an upgrade that words one of them
 * differently fails there.
 */

/** Where graphql-js and scalar libraries append the offending value to a reason. */
const VALUE_FOLLOWS = /(: |, found )/;
/** The variable's inner path, at the end of graphql-js's prefix: `… at "input.password"`. */
const AT_PATH = / at "([^"]+)"$/;
const UNKNOWN_FIELD = /^Field "(\w+)" is not defined by type "(\w+)"/;
const MISSING_FIELD = /^Field "(\w+)" of required type "([^"]+)" was not provided/;
const NOT_IN_ENUM = / does not exist in "(\w+)" enum/;
/** A variable given as null where its type says it may not be. */
const NOT_NULL = / must not be null\.$/;
/** An input field given as null where its type says it may not be. */
const NULL_FIELD = /^Expected non-nullable type "[^"]+" not to be null/;

function fromRequestError(error: GraphQLError): PublicError {
  const node = error.nodes?.[0];
  if (node?.kind === Kind.VARIABLE_DEFINITION) return fromVariableError(error, node);
  // A literal of the document at fault: what follows its description is the literal.
  if (node && isValueNode(node)) {
    return { code: ErrorCode.BAD_USER_INPUT, message: withoutValue(error.message) };
  }
  // Parse and validation errors quote only the document's own names.
  return { code: ErrorCode.BAD_USER_INPUT, message: error.message };
}

function fromVariableError(error: GraphQLError, node: VariableDefinitionNode): PublicError {
  const variable = node.variable.name.value;
  const inner = error.originalError;
  // Missing, or null where it may not be: graphql-js names the variable and its
  // type only, both from the document. (Apollo hands such an error on as the
  // original of its own, with the same nodes; a coercion's reason has none.)
  if (!(inner instanceof GraphQLError) || inner.nodes !== undefined) {
    return {
      code: ErrorCode.BAD_USER_INPUT,
      message: error.message,
      field: variable,
      problem: NOT_NULL.test(error.message) ? 'null' : 'required',
    };
  }
  // graphql-js writes `<prefix with the value>; <inner.message>`.
  const suffix = `; ${inner.message}`;
  const prefix = error.message.endsWith(suffix)
    ? error.message.slice(0, -suffix.length)
    : error.message;
  const at = AT_PATH.exec(prefix)?.[1];
  const { reason, field } = describeReason(inner);
  const problem: InputProblem = MISSING_FIELD.test(inner.message)
    ? 'required'
    : NULL_FIELD.test(inner.message)
      ? 'null'
      : 'invalid';
  return Errors.invalidValue(
    at ?? `$${variable}`,
    reason,
    field ?? topLevelField(at) ?? variable,
    problem,
  );
}

/** Why a value was refused, without the value; and the input field at fault, when named. */
function describeReason(inner: GraphQLError): { reason: string; field?: string } {
  const unknown = UNKNOWN_FIELD.exec(inner.message);
  if (unknown?.[1] && unknown[2]) {
    return { reason: InputReasons.unknownField(unknown[1], unknown[2]), field: unknown[1] };
  }
  const missing = MISSING_FIELD.exec(inner.message);
  if (missing?.[1] && missing[2]) {
    return { reason: InputReasons.missingField(missing[1], missing[2]), field: missing[1] };
  }
  const notInEnum = NOT_IN_ENUM.exec(inner.message);
  if (notInEnum?.[1]) return { reason: InputReasons.notAnEnumValue(notInEnum[1]) };
  // A scalar that threw an error of its own: graphql-js puts its message last.
  const own = inner.originalError?.message;
  if (own && inner.message.endsWith(` ${own}`)) {
    return { reason: inner.message.slice(0, -own.length - 1) };
  }
  return { reason: withoutValue(inner.message) };
}

/** `input.interests[1]` -> `interests`: the input field REST names in its error. */
function topLevelField(at: string | undefined): string | undefined {
  if (!at) return undefined;
  const rest = at.split('.')[1];
  return rest?.replace(/\[.*$/, '');
}

/** A message up to where a value would follow, as a sentence. */
function withoutValue(message: string): string {
  const cut = VALUE_FOLLOWS.exec(message);
  return cut ? `${message.slice(0, cut.index)}.` : message;
}

const VALUE_KINDS: ReadonlySet<string> = new Set([
  Kind.INT,
  Kind.FLOAT,
  Kind.STRING,
  Kind.BOOLEAN,
  Kind.NULL,
  Kind.ENUM,
  Kind.LIST,
  Kind.OBJECT,
  Kind.VARIABLE,
]);

function isValueNode(node: ASTNode): node is ValueNode {
  return VALUE_KINDS.has(node.kind);
}
