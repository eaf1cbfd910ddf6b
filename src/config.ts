import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_QUERY_TIMEOUT_MS } from './infra/db/orm-config';
import type { JobsSettings } from './infra/jobs/jobs';
import {
  MAIL_DEFAULTS,
  SMTP_TIMEOUTS_MAX_TOTAL_MS,
  type MailSettings,
} from './infra/mail/settings';
import { parseApiBaseUrl } from './infra/http-client';
import type { RateLimitPolicy } from './infra/rate-limits';

/**
 * The only module that reads the environment. Everything else receives a
 * parsed, validated `Config`. It imports nothing of ours but infra's types
 * and defaults, so that anything may read it.
 */

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const integer = (name: string, min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const value = Number(raw);
      if (!Number.isInteger(value) || value < min || value > max) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be an integer from ${min} to ${max} (got "${raw}")`,
        });
        return z.NEVER;
      }
      return value;
    });

const boolean = (name: string) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return undefined;
      if (/^(true|1|yes)$/i.test(raw.trim())) return true;
      if (/^(false|0|no)$/i.test(raw.trim())) return false;
      ctx.addIssue({ code: 'custom', message: `${name} must be true or false (got "${raw}")` });
      return z.NEVER;
    });

const optionalText = z
  .string()
  .optional()
  .transform((raw) => (raw === undefined || raw.trim() === '' ? undefined : raw.trim()));

export interface MasterKey {
  /** Stored beside every ciphertext, so keys can rotate. */
  id: string;
  /** 32 bytes for AES-256-GCM. */
  key: Buffer;
}

/**
 * `MASTER_KEYS=<id>:<base64 32 bytes>[,<id>:<base64>…]`, newest first: the
 * first encrypts, every one decrypts.
 */
const masterKeys = z
  .string()
  .optional()
  .transform((raw, ctx): MasterKey[] | undefined => {
    if (raw === undefined || raw.trim() === '') return undefined;
    const keys: MasterKey[] = [];
    for (const entry of raw.split(',')) {
      const match = /^\s*([A-Za-z0-9_-]{1,32}):([A-Za-z0-9+/_-]+={0,2})\s*$/.exec(entry);
      const key = match?.[2] ? Buffer.from(match[2], 'base64') : undefined;
      if (!match?.[1] || key?.length !== 32) {
        ctx.addIssue({
          code: 'custom',
          message:
            'MASTER_KEYS must be comma-separated <id>:<base64 of 32 bytes> entries, newest first',
        });
        return z.NEVER;
      }
      if (keys.some((k) => k.id === match[1])) {
        ctx.addIssue({ code: 'custom', message: `MASTER_KEYS repeats the key id "${match[1]}"` });
        return z.NEVER;
      }
      keys.push({ id: match[1], key });
    }
    return keys;
  });

/**
 * Every throttle and its default, kept in PostgreSQL so that it holds across
 * instances (src/infra/rate-limits.ts). `RATE_LIMITS` overrides them.
 */
export const RATE_LIMIT_DEFAULTS = {
  /** Password checks per account (sign-in and change password); cleared on success. */
  passwordAttempts: { points: 5, duration: 15 * 60, blockDuration: 15 * 60 },
  /** Sign-in attempts per client address (credential stuffing across accounts); successes are refunded. */
  signInPerAddress: { points: 30, duration: 15 * 60 },
  /** Requests with an invalid Bearer token per client address. */
  authFailuresPerAddress: { points: 60, duration: 60, blockDuration: 5 * 60 },
  /** Access tokens issued per account. */
  tokenCreation: { points: 20, duration: 60 * 60 },
  /** Accounts created per client address. */
  signUpPerAddress: { points: 20, duration: 60 * 60 },
  /** Data exports per account. */
  dataExport: { points: 10, duration: 60 * 60 },
  /** Account-deletion attempts per account. */
  accountDeletion: { points: 5, duration: 60 * 60 },
  /** Password-reset requests per client address. */
  passwordResetPerAddress: { points: 20, duration: 60 * 60 },
  /** Password-reset requests per target address (known or not: the same answer). */
  passwordResetPerEmail: { points: 5, duration: 60 * 60 },
  /** Verification and email-change mails an account may ask for. */
  emailMessagesPerAccount: { points: 10, duration: 60 * 60 },
  /** inviteMembers requests per account (each up to 50 addresses, each a mail). */
  invitations: { points: 20, duration: 60 * 60 },
  /** Resends per invitation (each a mail to someone who has not answered). */
  invitationResend: { points: 3, duration: 60 * 60 },
  /**
   * Provider-key checks against the provider per account (adding a key while
   * validation is on, and validateApiKey): the server must not become an
   * oracle for testing other people's leaked keys.
   */
  providerKeyChecks: { points: 20, duration: 60 * 60 },
} satisfies Record<string, RateLimitPolicy>;

export type LimitName = keyof typeof RATE_LIMIT_DEFAULTS;

const LIMIT_NAMES = Object.keys(RATE_LIMIT_DEFAULTS) as LimitName[];

/** `RATE_LIMITS=passwordAttempts=10/900,dataExport=20/3600`: points per window (seconds). */
const rateLimits = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    const policies: Record<LimitName, RateLimitPolicy> = { ...RATE_LIMIT_DEFAULTS };
    for (const entry of (raw ?? '').split(',').filter((e) => e.trim() !== '')) {
      const match = /^\s*(\w+)=(\d{1,9})\/(\d{1,9})\s*$/.exec(entry);
      const name = match?.[1] as LimitName | undefined;
      if (
        !match ||
        !name ||
        !LIMIT_NAMES.includes(name) ||
        Number(match[2]) < 1 ||
        Number(match[3]) < 1
      ) {
        ctx.addIssue({
          code: 'custom',
          message: `RATE_LIMITS entries are <name>=<points>/<seconds> with a name among ${LIMIT_NAMES.join(', ')}`,
        });
        return z.NEVER;
      }
      policies[name] = { points: Number(match[2]), duration: Number(match[3]) };
    }
    return policies;
  });

/** A fraction from 0 to 1 (`0.01`). */
const fraction = (name: string, fallback: number) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const value = Number(raw);
      if (!/^\s*\d*\.?\d+\s*$/.test(raw) || !(value >= 0 && value <= 1)) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be a number from 0 to 1 (got "${raw}")`,
        });
        return z.NEVER;
      }
      return value;
    });
const PROVIDER_URL_VARIABLES = [
  'PROVIDER_OPENAI_URL',
  'PROVIDER_ANTHROPIC_URL',
  'PROVIDER_GEMINI_URL',
] as const;

const envSchema = z
  .object({
    NODE_ENV: z
      .enum(['development', 'test', 'production'], {
        error: 'NODE_ENV must be one of development, test, production',
      })
      .default('development'),
    HOST: optionalText.transform((v) => v ?? 'localhost'),
    PORT: integer('PORT', 0, 65535, 4000),
    DATABASE_URL: optionalText.refine(
      (v) => v === undefined || /^postgres(ql)?:\/\/[^\s]+$/.test(v),
      'DATABASE_URL must be a postgres:// or postgresql:// URL',
    ),
    DATABASE_DIRECT_URL: optionalText.refine(
      (v) => v === undefined || /^postgres(ql)?:\/\/[^\s]+$/.test(v),
      'DATABASE_DIRECT_URL must be a postgres:// or postgresql:// URL',
    ),
    DATABASE_PREPARED_STATEMENTS: z
      .enum(['named', 'unnamed'], {
        error: 'DATABASE_PREPARED_STATEMENTS must be named or unnamed',
      })
      .default('named'),
    DATA_DIR: optionalText.transform((v) => path.resolve(v ?? './.data')),
    EMBEDDED_PG_PORT: integer('EMBEDDED_PG_PORT', 1024, 65535, 54329),
    LOG_LEVEL: z
      .enum(logLevels, { error: `LOG_LEVEL must be one of ${logLevels.join(', ')}` })
      .default('info'),
    SCRYPT_LOG_N: integer('SCRYPT_LOG_N', 1, 20, 14),
    SCRYPT_R: integer('SCRYPT_R', 1, 32, 8),
    SCRYPT_P: integer('SCRYPT_P', 1, 16, 1),
    SCRYPT_MAX_CONCURRENCY: integer('SCRYPT_MAX_CONCURRENCY', 1, 64, 2),
    DB_POOL_MAX: integer('DB_POOL_MAX', 1, 200, 10),
    DATABASE_CONNECT_TIMEOUT_MS: integer(
      'DATABASE_CONNECT_TIMEOUT_MS',
      100,
      120_000,
      DEFAULT_CONNECT_TIMEOUT_MS,
    ),
    DATABASE_QUERY_TIMEOUT_MS: integer(
      'DATABASE_QUERY_TIMEOUT_MS',
      100,
      120_000,
      DEFAULT_QUERY_TIMEOUT_MS,
    ),
    MASTER_KEYS: masterKeys,
    GRAPHQL_INTROSPECTION: boolean('GRAPHQL_INTROSPECTION'),
    CORS_ORIGINS: optionalText.refine(
      (v) => v === undefined || v.split(',').every((o) => /^https?:\/\/[^/\s]+$/.test(o.trim())),
      'CORS_ORIGINS must be comma-separated origins such as https://app.example.com',
    ),
    TRUST_PROXY: optionalText,
    SHUTDOWN_GRACE_MS: integer('SHUTDOWN_GRACE_MS', 0, 600_000, 10_000),
    SCRYPT_QUEUE_TIMEOUT_MS: integer('SCRYPT_QUEUE_TIMEOUT_MS', 1, 60_000, 2_000),
    RATE_LIMITS: rateLimits,
    HEAP_GROWING_PERCENT: integer('HEAP_GROWING_PERCENT', 0, 300, 50),
    GRAPHQL_COMPILE_ON: integer('GRAPHQL_COMPILE_ON', 0, 1000, 3),
    SMTP_URL: optionalText.refine(
      (v) => v === undefined || /^smtps?:\/\/[^\s/]+(\/[^\s]*)?$/.test(v),
      'SMTP_URL must be smtp://user:pass@host:port or smtps://user:pass@host:port',
    ),
    MAIL_TRANSPORT: z
      .enum(['smtp', 'log'], { error: 'MAIL_TRANSPORT must be smtp or log' })
      .optional(),
    MAIL_FROM: optionalText.refine(
      (v) => v === undefined || (v.length <= 320 && /@/.test(v) && !/[\r\n]/.test(v)),
      'MAIL_FROM must be an address such as "Account <no-reply@example.com>"',
    ),
    APP_URL: optionalText.refine(
      (v) => v === undefined || /^https?:\/\/[^\s?#]+$/.test(v),
      'APP_URL must be an http:// or https:// URL without query or fragment',
    ),
    APP_NAME: optionalText.refine(
      (v) => v === undefined || (v.length <= 64 && !/[\r\n]/.test(v)),
      'APP_NAME must be one line of at most 64 characters',
    ),
    SMTP_CONNECTION_TIMEOUT_MS: integer(
      'SMTP_CONNECTION_TIMEOUT_MS',
      100,
      120_000,
      MAIL_DEFAULTS.connectionTimeoutMs,
    ),
    SMTP_GREETING_TIMEOUT_MS: integer(
      'SMTP_GREETING_TIMEOUT_MS',
      100,
      120_000,
      MAIL_DEFAULTS.greetingTimeoutMs,
    ),
    SMTP_SOCKET_TIMEOUT_MS: integer(
      'SMTP_SOCKET_TIMEOUT_MS',
      100,
      600_000,
      MAIL_DEFAULTS.socketTimeoutMs,
    ),
    MAIL_MAX_ATTEMPTS: integer('MAIL_MAX_ATTEMPTS', 1, 50, MAIL_DEFAULTS.maxAttempts),
    MAIL_RETRY_DELAY_SECONDS: integer(
      'MAIL_RETRY_DELAY_SECONDS',
      1,
      3600,
      MAIL_DEFAULTS.retryDelaySeconds,
    ),
    CODE_TTL_EMAIL_VERIFICATION_SECONDS: integer(
      'CODE_TTL_EMAIL_VERIFICATION_SECONDS',
      1,
      30 * 86_400,
      86_400,
    ),
    CODE_TTL_PASSWORD_RESET_SECONDS: integer('CODE_TTL_PASSWORD_RESET_SECONDS', 1, 86_400, 3_600),
    CODE_TTL_EMAIL_CHANGE_SECONDS: integer('CODE_TTL_EMAIL_CHANGE_SECONDS', 1, 30 * 86_400, 86_400),
    JOBS_WORKER: boolean('JOBS_WORKER'),
    JOBS_POLL_INTERVAL_MS: integer('JOBS_POLL_INTERVAL_MS', 500, 600_000, 2_000),
    JOBS_POOL_MAX: integer('JOBS_POOL_MAX', 1, 100, 4),
    JOBS_STOP_TIMEOUT_MS: integer('JOBS_STOP_TIMEOUT_MS', 0, 600_000, 10_000),
    APOLLO_KEY: optionalText.refine(
      (v) => v === undefined || /^[\x21-\x7e]{1,512}$/.test(v),
      'APOLLO_KEY must be a graph API key from Apollo Studio',
    ),
    APOLLO_GRAPH_REF: optionalText.refine(
      (v) => v === undefined || /^[A-Za-z0-9_-]{1,64}(@[A-Za-z0-9_.-]{1,64})?$/.test(v),
      'APOLLO_GRAPH_REF must be <graph id>@<variant>',
    ),
    APOLLO_USAGE_REPORTING: boolean('APOLLO_USAGE_REPORTING'),
    APOLLO_FIELD_SAMPLING: fraction('APOLLO_FIELD_SAMPLING', 0.01),
    APOLLO_USAGE_REPORTING_ENDPOINT: optionalText.refine(
      (v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v),
      'APOLLO_USAGE_REPORTING_ENDPOINT must be an http(s) URL',
    ),
    PERSISTED_QUERIES: z
      .enum(['apq', 'safelist'], { error: 'PERSISTED_QUERIES must be apq or safelist' })
      .default('apq'),
    PERSISTED_QUERIES_MANIFEST: optionalText.transform((v) =>
      v === undefined ? undefined : path.resolve(v),
    ),
    ACCESS_TOKEN_MAX_DAYS: integer('ACCESS_TOKEN_MAX_DAYS', 0, 3650, 0),
    METRICS_PORT: optionalText.transform((raw, ctx) => {
      if (raw === undefined) return undefined;
      const value = Number(raw);
      if (!Number.isInteger(value) || value < 0 || value > 65535) {
        ctx.addIssue({
          code: 'custom',
          message: `METRICS_PORT must be an integer from 0 to 65535 (got "${raw}")`,
        });
        return z.NEVER;
      }
      return value;
    }),
    METRICS_HOST: optionalText.transform((v) => v ?? '127.0.0.1'),
    VALIDATE_PROVIDER_KEYS: boolean('VALIDATE_PROVIDER_KEYS'),
    PROVIDER_OPENAI_URL: optionalText,
    PROVIDER_ANTHROPIC_URL: optionalText,
    PROVIDER_GEMINI_URL: optionalText,
    PROVIDER_KEY_CHECK_TIMEOUT_MS: integer('PROVIDER_KEY_CHECK_TIMEOUT_MS', 50, 60_000, 5_000),
    PROVIDER_KEY_CHECK_CONCURRENCY: integer('PROVIDER_KEY_CHECK_CONCURRENCY', 1, 256, 8),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && env.SCRYPT_LOG_N < 14) {
      ctx.addIssue({
        code: 'custom',
        path: ['SCRYPT_LOG_N'],
        message: 'SCRYPT_LOG_N must be at least 14 in production',
      });
    }
    if (env.DATABASE_DIRECT_URL && !env.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_DIRECT_URL'],
        message:
          'DATABASE_DIRECT_URL is only read with DATABASE_URL (the embedded database needs neither)',
      });
    }
    if (env.NODE_ENV === 'production' && !env.MASTER_KEYS) {
      ctx.addIssue({
        code: 'custom',
        path: ['MASTER_KEYS'],
        message: 'MASTER_KEYS is required in production (see README, "Provider keys")',
      });
    }
    if ((env.APOLLO_KEY === undefined) !== (env.APOLLO_GRAPH_REF === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.APOLLO_KEY === undefined ? 'APOLLO_KEY' : 'APOLLO_GRAPH_REF'],
        message: 'APOLLO_KEY and APOLLO_GRAPH_REF go together: set both or neither',
      });
    }
    if (env.PERSISTED_QUERIES === 'safelist' && env.PERSISTED_QUERIES_MANIFEST === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['PERSISTED_QUERIES_MANIFEST'],
        message: 'PERSISTED_QUERIES_MANIFEST is required with PERSISTED_QUERIES=safelist',
      });
    }
    for (const variable of PROVIDER_URL_VARIABLES) {
      const raw = env[variable];
      if (raw === undefined) continue;
      try {
        parseApiBaseUrl(variable, raw, { allowHttp: env.NODE_ENV !== 'production' });
      } catch (error) {
        // The message names the variable and never repeats its value.
        ctx.addIssue({ code: 'custom', path: [variable], message: (error as Error).message });
      }
    }
    // Tests must never reach the real providers: under NODE_ENV=test,
    // validation is off unless asked for, and then needs every URL.
    const missing = PROVIDER_URL_VARIABLES.find((variable) => env[variable] === undefined);
    if (env.NODE_ENV === 'test' && env.VALIDATE_PROVIDER_KEYS === true && missing) {
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: `${missing} must be set when NODE_ENV=test validates provider keys (tests never call the real APIs)`,
      });
    }
    // Mail last: a more specific complaint about another variable comes first.
    if (
      env.SMTP_CONNECTION_TIMEOUT_MS + env.SMTP_GREETING_TIMEOUT_MS + env.SMTP_SOCKET_TIMEOUT_MS >
      SMTP_TIMEOUTS_MAX_TOTAL_MS
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['SMTP_SOCKET_TIMEOUT_MS'],
        message: `SMTP_CONNECTION_TIMEOUT_MS + SMTP_GREETING_TIMEOUT_MS + SMTP_SOCKET_TIMEOUT_MS must stay within ${SMTP_TIMEOUTS_MAX_TOTAL_MS} ms (a delivery holds its outbox row's lock that long, below the database's 30 s idle-in-transaction limit)`,
      });
    }
    if (env.MAIL_TRANSPORT === 'smtp' && !env.SMTP_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['SMTP_URL'],
        message: 'SMTP_URL is required with MAIL_TRANSPORT=smtp',
      });
    }
    if (env.NODE_ENV === 'production' && !env.SMTP_URL && env.MAIL_TRANSPORT !== 'log') {
      ctx.addIssue({
        code: 'custom',
        path: ['SMTP_URL'],
        message:
          'SMTP_URL is required in production (smtp://user:pass@host:587 or smtps://…:465); set MAIL_TRANSPORT=log to write mail to the log instead, knowing that nothing is sent (see README, "Email")',
      });
    }
    if (
      env.NODE_ENV === 'production' &&
      env.SMTP_URL &&
      env.MAIL_TRANSPORT !== 'log' &&
      !env.MAIL_FROM
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['MAIL_FROM'],
        message: 'MAIL_FROM is required in production when mail is sent',
      });
    }
  });

/** Apollo Studio: the graph this service reports to (README, "Federation and Apollo Studio"). */
export interface ApolloStudioConfig {
  key: string;
  graphRef: string;
  /** Whether this service sends usage reports (off behind a router that reports itself). */
  usageReporting: boolean;
  /** Share of requests traced field by field (the rest count as operations only). */
  fieldSampling: number;
  /** Where reports go instead of Apollo's ingress (a proxy; the tests' local endpoint). */
  endpointUrl: string | undefined;
}

/** Persisted queries: automatic (bounded, any client registers) or a safelist of trusted documents. */
export type PersistedQueriesConfig =
  | { mode: 'apq' }
  | { mode: 'safelist'; /** The manifest file, read once at start-up. */ manifestPath: string };

export interface Config {
  env: 'development' | 'test' | 'production';
  isProduction: boolean;
  host: string;
  port: number;
  /** Absent: start the embedded PostgreSQL kept under `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPgPort: number;
  logLevel: (typeof logLevels)[number];
  scrypt: { logN: number; r: number; p: number; maxConcurrency: number; queueTimeoutMs: number };
  db: {
    poolMax: number;
    /**
     * How long to wait for a database connection, whether one must be opened
     * or a full pool must free one; past it, a request answers 503.
     */
    connectTimeoutMs: number;
    /**
     * How long one statement may wait for the database's answer (client-side,
     * on every pooled connection); past it the connection is closed and the
     * request answers 503.
     */
    queryTimeoutMs: number;
    /**
     * A connection straight to PostgreSQL for what needs a session of its own
     * (the migration lock), when `databaseUrl` points at a transaction-mode
     * pooler; absent: `databaseUrl`.
     */
    directUrl: string | undefined;
    /** `unnamed` behind a pooler without prepared-statement support (PgBouncer < 1.21). */
    preparedStatements: 'named' | 'unnamed';
  };
  /**
   * Master keys for provider-key encryption, newest first. Absent outside
   * production: one is generated into DATA_DIR on first start and reused.
   */
  masterKeys: MasterKey[] | undefined;
  /** Introspection: on outside production unless disabled, off in production unless enabled. */
  introspection: boolean;
  /** Browser origins allowed by CORS; none in production unless configured. */
  corsOrigins: string[];
  /** Fastify `trustProxy`: which proxies' X-Forwarded-For to believe for the client address. */
  trustProxy: boolean | string;
  /** How long in-flight requests may take to finish after SIGTERM. */
  shutdownGraceMs: number;
  /** Every rate limit's policy: RATE_LIMIT_DEFAULTS with RATE_LIMITS applied. */
  rateLimits: Record<LimitName, RateLimitPolicy>;
  /**
   * V8's heap growing factor, as 1 + percent/100, set by the server process at
   * start-up; 0 leaves V8's own heuristics (which may let the heap grow to
   * four times the live data under load).
   */
  heapGrowingPercent: number;
  /**
   * graphql-jit compiles a query document the Nth time this process sees it
   * (see src/graphql/compiled-execution.ts); 0: graphql-js runs every query.
   */
  graphqlCompileOn: number;
  /** How mail leaves (see README, "Email"). */
  mail: MailSettings;
  /** Background jobs (pg-boss): whether this instance takes them, polling, pool, stop. */
  jobs: JobsSettings;
  /** How long each kind of link's one-time code lives, in seconds. */
  codeTtls: { emailVerification: number; passwordReset: number; emailChange: number };
  /** Absent without APOLLO_KEY and APOLLO_GRAPH_REF. */
  apollo: ApolloStudioConfig | undefined;
  persistedQueries: PersistedQueriesConfig;
  /**
   * Longest lifetime of a new access token, in days (ACCESS_TOKEN_MAX_DAYS):
   * longer requests are capped, `NEVER` is refused. Undefined: no cap.
   */
  accessTokenMaxDays: number | undefined;
  /** Prometheus metrics on a listener of their own; absent: off. */
  metrics: { port: number; host: string } | undefined;
  /** Checking provider keys against the providers (src/modules/api-keys/providers). */
  providerKeys: {
    /** VALIDATE_PROVIDER_KEYS: on by default, off under NODE_ENV=test unless set. */
    validate: boolean;
    /**
     * PROVIDER_<NAME>_URL where set: each API's base, version path included,
     * without a trailing slash. Unset: the real API.
     */
    baseUrls: { openai?: string; anthropic?: string; gemini?: string };
    /** Deadline of one check, in milliseconds. */
    timeoutMs: number;
    /** Checks under way at once per process. */
    maxConcurrent: number;
  };
}

/** Apollo Studio's Explorer may call a local server from the browser. */
const APOLLO_STUDIO_ORIGIN = 'https://studio.apollographql.com';

/** `true`/`false`, or the proxies to trust (addresses, CIDRs, `loopback`…). */
function trustProxyOf(raw: string | undefined): boolean | string {
  if (raw === undefined || /^(false|0|no)$/i.test(raw)) return false;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  return raw;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = issue?.path.join('.') ?? '';
    const message = issue?.message ?? 'invalid configuration';
    throw new ConfigError(message.includes(variable) ? message : `${variable}: ${message}`);
  }
  const e = parsed.data;
  return {
    env: e.NODE_ENV,
    isProduction: e.NODE_ENV === 'production',
    host: e.HOST,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    embeddedPgPort: e.EMBEDDED_PG_PORT,
    logLevel: e.LOG_LEVEL,
    scrypt: {
      logN: e.SCRYPT_LOG_N,
      r: e.SCRYPT_R,
      p: e.SCRYPT_P,
      maxConcurrency: e.SCRYPT_MAX_CONCURRENCY,
      queueTimeoutMs: e.SCRYPT_QUEUE_TIMEOUT_MS,
    },
    db: {
      poolMax: e.DB_POOL_MAX,
      connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
      queryTimeoutMs: e.DATABASE_QUERY_TIMEOUT_MS,
      directUrl: e.DATABASE_DIRECT_URL,
      preparedStatements: e.DATABASE_PREPARED_STATEMENTS,
    },
    masterKeys: e.MASTER_KEYS,
    introspection: e.GRAPHQL_INTROSPECTION ?? e.NODE_ENV !== 'production',
    corsOrigins: e.CORS_ORIGINS
      ? e.CORS_ORIGINS.split(',').map((origin) => origin.trim())
      : e.NODE_ENV === 'production'
        ? []
        : [APOLLO_STUDIO_ORIGIN],
    trustProxy: trustProxyOf(e.TRUST_PROXY),
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    rateLimits: e.RATE_LIMITS,
    heapGrowingPercent: e.HEAP_GROWING_PERCENT,
    graphqlCompileOn: e.GRAPHQL_COMPILE_ON,
    mail: mailSettingsOf(e),
    codeTtls: {
      emailVerification: e.CODE_TTL_EMAIL_VERIFICATION_SECONDS,
      passwordReset: e.CODE_TTL_PASSWORD_RESET_SECONDS,
      emailChange: e.CODE_TTL_EMAIL_CHANGE_SECONDS,
    },
    jobs: {
      worker: e.JOBS_WORKER ?? true,
      pollIntervalMs: e.JOBS_POLL_INTERVAL_MS,
      poolMax: e.JOBS_POOL_MAX,
      stopTimeoutMs: e.JOBS_STOP_TIMEOUT_MS,
    },
    apollo:
      e.APOLLO_KEY && e.APOLLO_GRAPH_REF
        ? {
            key: e.APOLLO_KEY,
            graphRef: e.APOLLO_GRAPH_REF,
            usageReporting: e.APOLLO_USAGE_REPORTING ?? true,
            fieldSampling: e.APOLLO_FIELD_SAMPLING,
            endpointUrl: e.APOLLO_USAGE_REPORTING_ENDPOINT,
          }
        : undefined,
    persistedQueries:
      e.PERSISTED_QUERIES === 'safelist' && e.PERSISTED_QUERIES_MANIFEST
        ? { mode: 'safelist', manifestPath: e.PERSISTED_QUERIES_MANIFEST }
        : { mode: 'apq' },
    accessTokenMaxDays: e.ACCESS_TOKEN_MAX_DAYS === 0 ? undefined : e.ACCESS_TOKEN_MAX_DAYS,
    metrics:
      e.METRICS_PORT === undefined ? undefined : { port: e.METRICS_PORT, host: e.METRICS_HOST },
    providerKeys: {
      validate: e.VALIDATE_PROVIDER_KEYS ?? e.NODE_ENV !== 'test',
      baseUrls: Object.fromEntries(
        PROVIDER_URL_VARIABLES.flatMap((variable) => {
          const raw = e[variable];
          if (raw === undefined) return [];
          const allowHttp = e.NODE_ENV !== 'production';
          const provider = variable.slice('PROVIDER_'.length, -'_URL'.length).toLowerCase();
          return [[provider, parseApiBaseUrl(variable, raw, { allowHttp })]];
        }),
      ),
      timeoutMs: e.PROVIDER_KEY_CHECK_TIMEOUT_MS,
      maxConcurrent: e.PROVIDER_KEY_CHECK_CONCURRENCY,
    },
  };
}

function mailSettingsOf(e: z.infer<typeof envSchema>): MailSettings {
  const transport = e.MAIL_TRANSPORT ?? (e.SMTP_URL ? 'smtp' : 'log');
  const appName = e.APP_NAME ?? MAIL_DEFAULTS.appName;
  const appUrl = (e.APP_URL ?? MAIL_DEFAULTS.appUrl).replace(/\/+$/, '');
  return {
    transport,
    smtpUrl: transport === 'smtp' ? e.SMTP_URL : undefined,
    from: e.MAIL_FROM ?? `${appName} <no-reply@${new URL(appUrl).hostname}>`,
    appUrl,
    appName,
    logLinks: e.NODE_ENV !== 'production',
    timeouts: {
      connectionMs: e.SMTP_CONNECTION_TIMEOUT_MS,
      greetingMs: e.SMTP_GREETING_TIMEOUT_MS,
      socketMs: e.SMTP_SOCKET_TIMEOUT_MS,
    },
    maxAttempts: e.MAIL_MAX_ATTEMPTS,
    retryDelaySeconds: e.MAIL_RETRY_DELAY_SECONDS,
  };
}
