import pino, { type Logger } from 'pino';
import type { Config } from './config';

export type { Logger };

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
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
          '*.password',
          '*.currentPassword',
          '*.newPassword',
          '*.current_password',
          '*.new_password',
          '*.token',
          '*.key',
          'variables',
          '*.variables',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
