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
 * Structured JSON logs. Credentials are redacted wherever they could appear:
 * headers, request bodies and GraphQL variables.
 */
export function createLogger(
  config: Pick<Config, 'logLevel'>,
  destination: pino.DestinationStream = pino.destination({ dest: 1, sync: false }),
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
