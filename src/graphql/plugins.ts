import type { ApolloServerPlugin } from '@apollo/server';
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
