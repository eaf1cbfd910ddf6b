import { ConnectionException, DeadlockException } from '@mikro-orm/core';

/**
 * Failures that say nothing about the request, only that the database cannot
 * serve it right now: answered 503 SERVICE_UNAVAILABLE with Retry-After,
 * never 500. Nothing is retried automatically: a statement that timed out on
 * our side may still have been applied by the server.
 */
const UNAVAILABLE_CODES = new Set([
  // Socket errors
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  // Lock waits and timeouts
  '57014', // query_canceled: statement_timeout, or a cancel request
  '55P03', // lock_not_available: lock_timeout
  '40P01', // deadlock_detected
  '40001', // serialization_failure
  '25P03', // idle_in_transaction_session_timeout
]);

/**
 * Whole classes of SQLSTATE: 08 connection exceptions (but 08P01, a protocol
 * violation: see POOLER_UNAVAILABLE), 57P operator intervention (57P01
 * admin_shutdown: a backend terminated; 57P02, 57P03 cannot_connect_now,
 * 57P05 idle_session_timeout), 53 insufficient resources (53300
 * too_many_connections, disk full, out of memory).
 */
const UNAVAILABLE_CLASSES = /^(08(?!P01)|57P|53)/;

/**
 * Driver messages without a code: a connection that closed or failed
 * (node-postgres, pg-pool, kysely), the client-side bounds (`Query read
 * timeout` is query_timeout, `timeout expired` opening a connection, `timeout
 * exceeded when trying to connect` waiting for a pooled one), and a
 * transaction whose connection died under it.
 */
const UNAVAILABLE_MESSAGES =
  /Connection terminated|Connection ended unexpectedly|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|^Query read timeout$|^timeout expired$|Transaction query already complete/i;

/**
 * PgBouncer's own answers (all with code 08P01, which PostgreSQL itself uses
 * for protocol violations) when it cannot serve a client: the server is
 * down, its login keeps failing, or no server connection freed up in time.
 */
const POOLER_UNAVAILABLE =
  /^(query_wait_timeout|server login has been failing|pgbouncer cannot connect to server|server conn crashed|no more connections allowed|client_login_timeout|server shutting down|database .* is (paused|disabled)|pooler error)/i;

/**
 * True when `error` means the database cannot serve the request right now (a
 * retryable condition, answered 503), looking through wrapped causes. Drivers
 * and the rate-limit store sometimes reject with plain objects, not Errors.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    if (e instanceof ConnectionException || e instanceof DeadlockException) return true;
    const { code, message, cause } = e as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
    };
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_CLASSES.test(code)))
      return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
    if (code === '08P01' && typeof message === 'string' && POOLER_UNAVAILABLE.test(message)) {
      return true;
    }
    e = cause;
  }
  return false;
}
