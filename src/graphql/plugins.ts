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
