import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from '../logger';
import type { Context } from './context';
import { isInternal, toPublicError } from './errors';

/**
 * What may be logged about an unexpected error: its class, its code and the
 * driver's own message — never the SQL text (MikroORM prefixes it, with the
 * parameter values inlined) and never a stack trace.
 */
export function describeForLog(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const code = (error as { code?: unknown }).code;
  const message = error.message.includes(' - ')
    ? error.message.slice(error.message.lastIndexOf(' - ') + 3)
    : error.message;
  return {
    name: error.name,
    ...(typeof code === 'string' ? { code } : {}),
    message: message.slice(0, 300),
  };
}

/** Logs every error that reaches the client as INTERNAL_SERVER_ERROR. */
export function internalErrorLogger(logger: Logger): ApolloServerPlugin<Context> {
  return {
    requestDidStart() {
      return Promise.resolve({
        didEncounterErrors({ errors, contextValue, operationName }) {
          for (const error of errors) {
            if (!isInternal(toPublicError(error))) continue;
            const cause = error.originalError ?? error;
            logger.error(
              {
                requestId: contextValue.requestId,
                operationName,
                path: error.path,
                err: describeForLog(cause),
              },
              'unexpected error',
            );
          }
          return Promise.resolve();
        },
      });
    },
  };
}
