import { GraphQLError } from 'graphql';

/**
 * The error catalogue: the closed set of codes, their HTTP statuses, and
 * every message a client can read when something fails, each written once.
 * Both faces answer from here (GraphQL `extensions.code`, REST
 * `{"error": {"code", "message", "field"}}`); nothing else in the service
 * writes a public error message. It imports nothing of ours, so any layer
 * may use it.
 */

/** The closed set of error codes, shared by the GraphQL and REST faces. */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  CONFLICT: 'CONFLICT',
  PLAN_LIMIT_EXCEEDED: 'PLAN_LIMIT_EXCEEDED',
  RATE_LIMITED: 'RATE_LIMITED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.UNAUTHENTICATED:
      return 401;
    case ErrorCode.FORBIDDEN:
      return 403;
    case ErrorCode.NOT_FOUND:
      return 404;
    case ErrorCode.BAD_USER_INPUT:
      return 400;
    case ErrorCode.CONFLICT:
      return 409;
    case ErrorCode.PLAN_LIMIT_EXCEEDED:
      return 403;
    case ErrorCode.RATE_LIMITED:
      return 429;
    case ErrorCode.SERVICE_UNAVAILABLE:
      return 503;
    case ErrorCode.INTERNAL_SERVER_ERROR:
      return 500;
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ErrorCode, value);
}

/** What a client may learn about a failure: nothing more, on either face. */
export interface PublicError {
  code: ErrorCode;
  message: string;
  /** The input field at fault (GraphQL argument or input property name). */
  field?: string;
  /** Seconds after which a retry may succeed (RATE_LIMITED, SERVICE_UNAVAILABLE). */
  retryAfter?: number;
  /** Why, among the causes a code has, where a client may act on it (PROVIDER_REJECTED_KEY, TOKEN_EXPIRED). */
  reason?: ErrorReason;
  /** The token scope the operation needs and the token lacks (FORBIDDEN). */
  requiredScope?: string;
  /**
   * What is wrong with `field`, when GraphQL refused the value itself (before
   * any resolver ran): the REST face words its own message from this and its
   * own schema of the field, instead of GraphQL's (`Variable "$timezone"…`).
   */
  problem?: InputProblem;
}

/** The extensions a public error carries on GraphQL, beside its code. */
export function extensionsOf(error: PublicError): Record<string, unknown> {
  return {
    code: error.code,
    ...(error.field === undefined ? {} : { field: error.field }),
    ...(error.retryAfter === undefined ? {} : { retryAfter: error.retryAfter }),
    ...(error.reason === undefined ? {} : { reason: error.reason }),
    ...(error.requiredScope === undefined ? {} : { requiredScope: error.requiredScope }),
  };
}

/** Why a request-level input check refused a field's value. */
export type InputProblem = 'required' | 'null' | 'invalid';

/** The closed set of `reason`s, beside the codes. */
export const ErrorReason = {
  /** The AI provider refused the key it was asked to check (BAD_USER_INPUT on `key`). */
  PROVIDER_REJECTED_KEY: 'PROVIDER_REJECTED_KEY',
  /**
   * The access token has expired (UNAUTHENTICATED: sign in again), or a
   * link's one-time code is past its lifetime (BAD_USER_INPUT on `token`).
   */
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  /** A link's one-time code is unknown, malformed, of another purpose or superseded (`token`). */
  TOKEN_INVALID: 'TOKEN_INVALID',
  /** A link's one-time code was already used (`token`). */
  TOKEN_USED: 'TOKEN_USED',
} as const;
export type ErrorReason = (typeof ErrorReason)[keyof typeof ErrorReason];

/** Why a link's one-time code is refused (`extensions.reason`). */
export type TokenReason = 'TOKEN_INVALID' | 'TOKEN_EXPIRED' | 'TOKEN_USED';

/**
 * An expected failure, thrown by the code that finds it and shown to the
 * client as is. Anything else that escapes a resolver is reported as
 * INTERNAL_SERVER_ERROR without details. Made only by `Errors` below.
 */
export class AppError extends GraphQLError {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly retryAfter: number | undefined;
  readonly reason: ErrorReason | undefined;
  readonly public: PublicError;

  constructor(error: PublicError) {
    super(error.message, { extensions: extensionsOf(error) });
    this.name = 'AppError';
    this.code = error.code;
    this.field = error.field;
    this.retryAfter = error.retryAfter;
    this.reason = error.reason;
    this.public = { ...error };
  }
}

const TOKEN_MESSAGES: Record<TokenReason, string> = {
  TOKEN_INVALID: 'This link is not valid (a newer one may have been sent). Ask for a new one.',
  TOKEN_EXPIRED: 'This link has expired. Ask for a new one.',
  TOKEN_USED: 'This link has already been used.',
};

const badInput = (field: string, message: string): PublicError => ({
  code: ErrorCode.BAD_USER_INPUT,
  message,
  field,
});

/**
 * Every public failure, as what the client reads. Services throw
 * `new AppError(Errors.x(…))`; the HTTP layer and the error formatting send
 * them as they are.
 */
export const Errors = {
  // Authentication and credentials
  unauthenticated: (): PublicError => ({
    code: ErrorCode.UNAUTHENTICATED,
    message: 'A valid access token is required.',
  }),
  invalidCredentials: (): PublicError => ({
    code: ErrorCode.UNAUTHENTICATED,
    message: 'Email or password is incorrect.',
  }),
  wrongCurrentPassword: () => badInput('currentPassword', 'Current password is incorrect.'),
  emailTaken: (): PublicError => ({
    code: ErrorCode.CONFLICT,
    message: 'An account with this email already exists.',
    field: 'email',
  }),
  accessTokenPlanLimit: (plan: string, limit: number): PublicError => ({
    code: ErrorCode.PLAN_LIMIT_EXCEEDED,
    message: `The ${plan} plan allows ${limit} active access tokens. Revoke one to create another, or sign in again with revokeLeastRecentlyUsed: true to replace the least recently used one.`,
  }),
  tokenExpired: (): PublicError => ({
    code: ErrorCode.UNAUTHENTICATED,
    message: 'The access token expired. Sign in again for a new one.',
    reason: ErrorReason.TOKEN_EXPIRED,
  }),
  insufficientScope: (scope: string): PublicError => ({
    code: ErrorCode.FORBIDDEN,
    message: `This access token lacks the ${scope} scope this operation needs.`,
    requiredScope: scope,
  }),
  expiryNotAllowed: (maxDays: number) =>
    badInput(
      'expiresIn',
      `expiresIn: NEVER is not available on this server; tokens live at most ${maxDays} days.`,
    ),
  newEmailTaken: (): PublicError => ({
    code: ErrorCode.CONFLICT,
    message: 'An account with this email already exists.',
    field: 'newEmail',
  }),
  emailUnchanged: () => badInput('newEmail', 'newEmail is already the address of this account.'),
  invalidEmail: (field: string) => badInput(field, `${field} must be a valid email address.`),
  passwordPolicy: (field: string, problems: readonly string[]) =>
    badInput(field, `${problems.join('; ')}.`),
  tokenRejected: (reason: TokenReason): PublicError => ({
    code: ErrorCode.BAD_USER_INPUT,
    message: TOKEN_MESSAGES[reason],
    field: 'token',
    reason,
  }),
  confirmEmailMismatch: () =>
    badInput('confirmEmail', 'confirmEmail does not match the account email'),

  // What the viewer owns
  notFound: (
    what: 'Access token' | 'API key' | 'Organization' | 'Member' | 'Invitation',
  ): PublicError => ({
    code: ErrorCode.NOT_FOUND,
    message: `${what} not found.`,
  }),

  // Provider keys: `provider` is the provider's display name (OpenAI…), never the key
  providerKeyOfAnotherProvider: (provider: string, looksLike: string, looksLikeId: string) =>
    badInput(
      'key',
      `This looks like a ${looksLike} key, not a ${provider} key; add it under provider "${looksLikeId}".`,
    ),
  providerKeyOfAnotherService: (provider: string, prefixes: string) =>
    badInput(
      'key',
      `This is not a ${provider} key (it belongs to another service); ${provider} keys start with ${prefixes}.`,
    ),
  providerAdminKey: (provider: string) =>
    badInput(
      'key',
      `This is a ${provider} admin key, which cannot call models; add an API key instead.`,
    ),
  providerKeyUnrecognised: (provider: string, prefixes: string) =>
    badInput(
      'key',
      `This does not look like a ${provider} key; ${provider} keys start with ${prefixes}.`,
    ),
  providerKeyMalformed: () =>
    badInput('key', 'key must be 8-512 printable ASCII characters without spaces'),
  providerRejectedKey: (provider: string, why: 'authentication' | 'permission'): PublicError => ({
    ...badInput(
      'key',
      why === 'authentication'
        ? `${provider} did not accept this key (wrong, revoked or expired); nothing was stored.`
        : `${provider} recognised this key but refused it access to its models; check the key's permissions. Nothing was stored.`,
    ),
    reason: ErrorReason.PROVIDER_REJECTED_KEY,
  }),

  // Profile and onboarding rules
  nameNotClearable: () => badInput('name', 'name cannot be cleared'),
  notATimeZone: () =>
    badInput(
      'timezone',
      'timezone must be an IANA time zone name such as America/New_York (not an abbreviation or offset)',
    ),
  invitesWithoutOrganization: () =>
    badInput('inviteEmails', 'inviteEmails needs an organization: send createOrg: true'),
  invalidInviteEmail: (email: string, field = 'inviteEmails') =>
    badInput(field, `${field}: "${email}" is not a valid email address`),
  tooManyInvites: (field: string, max: number) =>
    badInput(field, `${field} may name at most ${max} addresses at once`),
  pendingInvitationsLimit: (max: number, pending: number, adding: number): PublicError => ({
    code: ErrorCode.PLAN_LIMIT_EXCEEDED,
    message: `An organization can have at most ${max} pending invitations; it has ${pending} and this would add ${adding}. Nothing was sent: revoke some (revokeInvitation) or wait until they are answered or expire.`,
  }),

  // Organizations: roles, members, invitations
  roleForbids: (): PublicError => ({
    code: ErrorCode.FORBIDDEN,
    message: 'Your role in this organization does not allow this.',
  }),
  lastOwner: (): PublicError => ({
    code: ErrorCode.CONFLICT,
    message:
      'An organization must keep an owner: transfer ownership to another member first (transferOwnership).',
  }),
  transferToSelf: () =>
    badInput('membershipId', 'membershipId must be another member: you are an owner already'),
  invitationTokenInvalid: () =>
    badInput('token', 'The invitation link is invalid, or a newer invitation replaced it.'),
  invitationAnswered: (status: 'accepted' | 'declined' | 'revoked'): PublicError => ({
    code: ErrorCode.CONFLICT,
    message: `This invitation was ${status} already.`,
  }),
  invitationExpired: (): PublicError => ({
    code: ErrorCode.CONFLICT,
    message: 'This invitation has expired: ask the organization for a new one.',
  }),
  emailNotVerified: (): PublicError => ({
    code: ErrorCode.FORBIDDEN,
    message: 'Verify your email address first: invitations go to verified addresses only.',
  }),
  invitationForAnotherEmail: (): PublicError => ({
    code: ErrorCode.FORBIDDEN,
    message: 'This invitation was sent to another email address than your verified one.',
  }),
  invalidCursor: (field = 'after') =>
    badInput(
      field,
      `${field} is not a cursor of this list (take one from the list's edges or pageInfo).`,
    ),
  pageSize: (max: number, field = 'first') =>
    badInput(field, `${field} must be between 1 and ${max}`),

  // Limits and availability
  exportTooLargeForGraphQL: (maxBytes: number): PublicError => ({
    code: ErrorCode.FORBIDDEN,
    message: `The export is larger than GraphQL returns (${Math.round(maxBytes / 1024)} KiB): download it from GET /api/user/data-export, which streams it.`,
  }),
  rateLimited: (retryAfter: number): PublicError => ({
    code: ErrorCode.RATE_LIMITED,
    message: 'Too many attempts. Try again later.',
    retryAfter,
  }),
  serviceUnavailable: (retryAfter = 5): PublicError => ({
    code: ErrorCode.SERVICE_UNAVAILABLE,
    message: 'The service is temporarily unavailable. Try again shortly.',
    retryAfter,
  }),
  internal: (): PublicError => ({
    code: ErrorCode.INTERNAL_SERVER_ERROR,
    message: 'Something went wrong on our side. The error has been logged.',
  }),

  // The request itself (both faces)
  onlyOncePerDocument: (mutation: string): PublicError => ({
    code: ErrorCode.BAD_USER_INPUT,
    message: `A request may call ${mutation} only once.`,
  }),
  bodyNotAnObject: () => badInput('body', 'The body must be a JSON object.'),
  /** Names the field only when it is a plain name (nothing else of the body is echoed). */
  unknownBodyField: (field: string): PublicError =>
    /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(field)
      ? badInput(field, `Unknown field "${field}".`)
      : {
          code: ErrorCode.BAD_USER_INPUT,
          message: 'The body has a field this request does not take.',
        },
  unsupportedContentType: (): PublicError => ({
    code: ErrorCode.BAD_USER_INPUT,
    message: 'Unsupported Content-Type: send the body as application/json.',
  }),
  bodyTooLarge: (): PublicError => ({
    code: ErrorCode.BAD_USER_INPUT,
    message: 'The request body is too large.',
  }),
  invalidJson: (): PublicError => ({
    code: ErrorCode.BAD_USER_INPUT,
    message: 'The body is not valid JSON.',
  }),
  malformedRequest: (): PublicError => ({
    code: ErrorCode.BAD_USER_INPUT,
    message: 'The request is malformed.',
  }),
  methodNotAllowed: (): PublicError => ({
    code: ErrorCode.BAD_USER_INPUT,
    message: 'This method is not allowed on this path: the Allow header lists those that are.',
  }),
  noRoute: (): PublicError => ({
    code: ErrorCode.NOT_FOUND,
    message: 'There is nothing at this path.',
  }),
  noBodyExpected: () =>
    badInput('body', 'This request takes no body: send none, or an empty JSON object {}.'),
  headersTooLarge: (): PublicError => ({
    code: ErrorCode.BAD_USER_INPUT,
    message: 'The request headers are too large.',
  }),
  pathTooLong: (): PublicError => ({
    code: ErrorCode.BAD_USER_INPUT,
    message: 'A path segment is too long.',
  }),
  requestTimeout: (): PublicError => ({
    code: ErrorCode.BAD_USER_INPUT,
    message: 'The request was not received in time.',
  }),

  unstorableText: (field: string, reason: string) => badInput(field, `${field} ${reason}.`),
  badPathEncoding: (field: string | undefined): PublicError => ({
    code: ErrorCode.BAD_USER_INPUT,
    message: `${field ?? 'The path'} must be valid UTF-8 text, percent-encoded.`,
    ...(field === undefined ? {} : { field }),
  }),

  // Input that GraphQL itself refuses: src/graphql/errors.ts rebuilds these
  // from graphql-js's errors, so that no submitted value is echoed.
  invalidInput: (): PublicError => ({ code: ErrorCode.BAD_USER_INPUT, message: 'Invalid input.' }),
  invalidValue: (at: string, reason: string, field: string, problem: InputProblem) => ({
    ...badInput(field, `Invalid value for "${at}": ${reason}`),
    problem,
  }),

  // The REST face's words for request-level problems (`InputProblem`), with
  // the field named as REST names it and its type described by REST's schema.
  restFieldRequired: (field: string) => badInput(field, `${field} is required.`),
  restFieldNotNull: (field: string) => badInput(field, `${field} must not be null.`),
  restFieldInvalid: (field: string, expected: string) =>
    badInput(field, `${field} must be ${expected}.`),
} as const;

/**
 * Apollo's persisted-query protocol, on /graphql only: the code Apollo
 * clients and routers give a document outside the safelist of trusted
 * documents (PERSISTED_QUERIES=safelist). It is refused before GraphQL sees
 * the request, so it is not one of the API's codes above and the REST face
 * never answers it.
 */
export const TrustedDocumentErrors = {
  notInList: () => ({
    code: 'PERSISTED_QUERY_NOT_IN_LIST',
    message: 'This operation is not in the list of trusted documents.',
    status: 400,
  }),
} as const;

/** Why GraphQL refused a value, in the words `Errors.invalidValue` quotes. */
export const InputReasons = {
  notAnEnumValue: (enumName: string) => `Not a value of the "${enumName}" enum.`,
  unknownField: (field: string, type: string) =>
    `Field "${field}" is not defined by type "${type}".`,
  missingField: (field: string, type: string) =>
    `Field "${field}" of required type "${type}" was not provided.`,
  /** Text PostgreSQL cannot store (src/common/text.ts). */
  containsNul: 'must not contain NUL characters',
  notUtf8: 'must be valid UTF-8 text (it holds a lone surrogate or bytes that are not UTF-8)',
} as const;

/**
 * Messages of input validation (class-validator decorators, where
 * `$property` is the field's name) and the password policy's sentences
 * (src/users/password-policy.ts).
 */
export const ValidationMessages = {
  notBlank: '$property must not be blank',
  httpUrl: '$property must be an http(s) URL',
  email: 'email must be a valid email address',
  printableKey: 'key must be printable ASCII without spaces',
  passwordTooShort: (field: string, min: number) =>
    `${field} must be at least ${min} characters long`,
  passwordTooLong: (field: string, max: number) =>
    `${field} must be at most ${max} characters long`,
  passwordNeedsUppercase: (field: string) =>
    `${field} must contain at least one uppercase letter (A-Z)`,
  passwordNeedsDigit: (field: string) => `${field} must contain at least one digit (0-9)`,
  notAString: (field: string) => `${field} must be a string`,
  invalid: (field: string) => `${field} is invalid`,
  atLeastOneScope: 'scopes must name at least one scope (or be left out for all)',
} as const;
