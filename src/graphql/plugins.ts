import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from './context';
import { describeForLog } from '../infra/logger';
import { isInternal, toPublicError } from './errors';

/** Logs every error that reaches the client as INTERNAL_SERVER_ERROR, on the request's logger. */
export const internalErrorLogger: ApolloServerPlugin<Context> = {
  requestDidStart: () =>
    Promise.resolve({
      didEncounterErrors({ errors, contextValue, operationName }) {
        for (const error of errors) {
          if (!isInternal(toPublicError(error))) continue;
          contextValue.log.error(
            { operationName, path: error.path, err: describeForLog(error.originalError ?? error) },
            'unexpected error',
          );
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
