import { ConnectionException } from '@mikro-orm/core';

/** Failures to reach PostgreSQL: socket errors and the server's own shutdown codes. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08004', // sqlserver_rejected_establishment_of_sqlconnection
  '08006', // connection_failure
  '53300', // too_many_connections
]);

const UNAVAILABLE_MESSAGES =
  /Connection terminated|Connection ended unexpectedly|timeout exceeded when trying to connect|Client has encountered a connection error/i;

/**
 * PgBouncer's own answers (all with code 08P01, which PostgreSQL itself uses
 * for protocol violations) when it cannot serve a client: the server is
 * down, its login keeps failing, or no server connection freed up in time.
 */
const POOLER_UNAVAILABLE =
  /^(query_wait_timeout|server login has been failing|pgbouncer cannot connect to server|server conn crashed|no more connections allowed|client_login_timeout|server shutting down|database .* is (paused|disabled)|pooler error)/i;

/**
 * True when `error` means the database cannot be reached right now (a
 * retryable condition, answered 503), looking through wrapped causes. Drivers
 * and the rate-limit store sometimes reject with plain objects, not Errors.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    if (e instanceof ConnectionException) return true;
    const { code, message, cause } = e as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
    };
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
    if (code === '08P01' && typeof message === 'string' && POOLER_UNAVAILABLE.test(message)) {
      return true;
    }
    e = cause;
  }
  return false;
}
