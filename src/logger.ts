import pino, { type Logger } from 'pino';
import type { Config } from './config';

export type { Logger };

/** What code that only writes log lines needs: a process or a request logger. */
export type Log = Pick<Logger, 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'>;

/** Field names whose values are never written to a log. */
const SECRET_FIELDS = [
  'authorization',
  'cookie',
  'password',
  'currentPassword',
  'newPassword',
  'current_password',
  'new_password',
  'token',
  'key',
  'variables',
];

/**
 * Structured JSON logs. Fields named like credentials are redacted up to two
 * levels deep, as a net: nothing logs headers, bodies or GraphQL variables.
 */
export function createLogger(
  config: Pick<Config, 'logLevel'>,
  // Buffered: lines are written 4 KiB or one second at a time, not one write
  // per line (src/main.ts flushes on shutdown).
  destination: pino.DestinationStream = pino.destination({
    dest: 1,
    sync: false,
    minLength: 4096,
    periodicFlush: 1000,
  }),
): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service: 'account-api' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        // Nothing logs these on purpose; this is the net under any mistake.
        paths: SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/**
 * The one line per request: a fixed shape (request id, method, route, status,
 * time) that holds no secret, so it skips redaction, which costs ten times
 * the line itself.
 */
export function accessLogger(logger: Logger): Logger {
  return logger.child({}, { redact: { paths: [] } });
}
