import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import { ErrorCode, httpStatusOf } from '../common/errors';
import type { Context } from './context';
import { describeForLog } from '../infra/logger';
import { isInternal, toPublicError } from './errors';

/** Logs every error that reaches the client as INTERNAL_SERVER_ERROR, on the request's logger. */
export function logInternalErrors(
  errors: readonly GraphQLError[],
  context: Context,
  operationName: string | null,
): void {
  for (const error of errors) {
    if (!isInternal(toPublicError(error))) continue;
    context.log.error(
      { operationName, path: error.path, err: describeForLog(error.originalError ?? error) },
      'unexpected error',
    );
  }
}

export const internalErrorLogger: ApolloServerPlugin<Context> = {
  requestDidStart: () =>
    Promise.resolve({
      didEncounterErrors({ errors, contextValue, operationName }) {
        logInternalErrors(errors, contextValue, operationName ?? null);
        return Promise.resolve();
      },
    }),
};

/** These codes set the HTTP status of a GraphQL response (with Retry-After). */
const STATUS_CODES = [ErrorCode.SERVICE_UNAVAILABLE, ErrorCode.RATE_LIMITED];

/**
 * The HTTP status (and Retry-After, in seconds) an answer with these
 * (formatted) errors is sent with, if not 200's: SERVICE_UNAVAILABLE and
 * RATE_LIMITED, the first found in that order.
 */
export function statusOfErrors(
  errors: readonly GraphQLFormattedError[],
): { status: number; retryAfter: number | undefined } | undefined {
  for (const code of STATUS_CODES) {
    const error = errors.find((e) => e.extensions?.['code'] === code);
    if (!error) continue;
    const retryAfter = error.extensions?.['retryAfter'];
    return {
      status: httpStatusOf(code),
      retryAfter: typeof retryAfter === 'number' ? retryAfter : undefined,
    };
  }
  return undefined;
}

/**
 * A GraphQL answer whose errors include SERVICE_UNAVAILABLE or RATE_LIMITED
 * is sent with 503 / 429 and Retry-After, like the REST face, so that clients
 * and load balancers back off instead of reading a partial 200.
 */
export const httpStatusPlugin: ApolloServerPlugin<Context> = {
  requestDidStart: () =>
    Promise.resolve({
      willSendResponse: ({ response }) => {
        if (response.body.kind !== 'single') return Promise.resolve();
        const head = statusOfErrors(response.body.singleResult.errors ?? []);
        if (head) {
          response.http.status = head.status;
          if (head.retryAfter !== undefined)
            response.http.headers.set('retry-after', String(head.retryAfter));
        }
        return Promise.resolve();
      },
    }),
};

/** Told of every GraphQL response: its operation's name (null: none) and its errors' codes. */
export type OperationObserver = (
  context: Context,
  operation: string | null,
  errorCodes: readonly unknown[],
) => void;

/** Reports each response to `observe` once it is about to be sent. */
export function operationObserver(observe: OperationObserver): ApolloServerPlugin<Context> {
  return {
    requestDidStart: () =>
      Promise.resolve({
        willSendResponse({ contextValue, operationName, request, response }) {
          const errors =
            response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          observe(
            contextValue,
            operationName ?? request.operationName ?? null,
            errors.map((error) => error.extensions?.['code']),
          );
          return Promise.resolve();
        },
      }),
  };
}
