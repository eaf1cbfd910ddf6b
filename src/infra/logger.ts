import type { FastifyBaseLogger } from 'fastify';
import pino, { type Bindings, type ChildLoggerOptions, type Logger } from 'pino';

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
  config: { logLevel: pino.LevelWithSilent },
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
 * What may be logged about an unexpected error: its class, its code and the
 * driver's own message — never the SQL text MikroORM prefixes to it (` - `
 * separates them) and never a stack trace.
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

/**
 * The one line per request: a fixed shape (request id, method, route, status,
 * time) that holds no secret, so it skips redaction, which costs ten times
 * the line itself.
 */
export function accessLogger(logger: Logger): Logger {
  return logger.child({}, { redact: { paths: [] } });
}

type Method = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type LogArgs = [obj: unknown, msg?: string, ...rest: unknown[]];

/**
 * A request's logger (`request.log`), made into a pino child bound to the
 * request id on its first line. Most requests write nothing but the access
 * line, and a pino child per request cost more than serving a cached
 * profile read. Fastify's `childLoggerFactory`.
 */
export function deferredChildLogger(
  parent: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  return new DeferredChild(parent, bindings, options);
}

class DeferredChild {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  get level(): string {
    return this.made?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  fatal(...args: LogArgs): void {
    this.write('fatal', args);
  }

  error(...args: LogArgs): void {
    this.write('error', args);
  }

  warn(...args: LogArgs): void {
    this.write('warn', args);
  }

  info(...args: LogArgs): void {
    this.write('info', args);
  }

  debug(...args: LogArgs): void {
    this.write('debug', args);
  }

  trace(...args: LogArgs): void {
    this.write('trace', args);
  }

  silent(): void {
    // Writes nothing, as pino's own.
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options);
  }

  private get logger(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  private write(method: Method, args: LogArgs): void {
    this.logger[method](...args);
  }
}
