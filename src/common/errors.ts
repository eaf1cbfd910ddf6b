import { GraphQLError } from 'graphql';

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
  field?: string;
  retryAfter?: number;
}

export interface AppErrorOptions {
  /** The input field at fault (GraphQL argument or input property name). */
  field?: string;
  /** Seconds after which a retry may succeed (RATE_LIMITED, SERVICE_UNAVAILABLE). */
  retryAfter?: number;
}

/**
 * An expected failure, safe to show to the client as is. Anything else that
 * escapes a resolver is reported as INTERNAL_SERVER_ERROR without details.
 */
export class AppError extends GraphQLError {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, {
      extensions: {
        code,
        ...(options.field === undefined ? {} : { field: options.field }),
        ...(options.retryAfter === undefined ? {} : { retryAfter: options.retryAfter }),
      },
    });
    this.name = 'AppError';
    this.code = code;
    this.field = options.field;
    this.retryAfter = options.retryAfter;
  }
}

export const unauthenticated = () =>
  new AppError(ErrorCode.UNAUTHENTICATED, 'A valid access token is required.');

export const badInput = (field: string, message: string) =>
  new AppError(ErrorCode.BAD_USER_INPUT, message, { field });

export const notFound = (what: string) => new AppError(ErrorCode.NOT_FOUND, `${what} not found.`);

export const conflict = (message: string, field?: string) =>
  new AppError(ErrorCode.CONFLICT, message, field === undefined ? {} : { field });

export const planLimitExceeded = (message: string) =>
  new AppError(ErrorCode.PLAN_LIMIT_EXCEEDED, message);

export const rateLimited = (retryAfter: number) =>
  new AppError(ErrorCode.RATE_LIMITED, 'Too many attempts. Try again later.', { retryAfter });

export const serviceUnavailable = (retryAfter = 5) =>
  new AppError(
    ErrorCode.SERVICE_UNAVAILABLE,
    'The service is temporarily unavailable. Try again shortly.',
    { retryAfter },
  );
