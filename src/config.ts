import path from 'node:path';
import { z } from 'zod';

/**
 * The only module that reads the environment. Everything else receives a
 * parsed, validated `Config`.
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
    MASTER_KEYS: masterKeys,
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && env.SCRYPT_LOG_N < 14) {
      ctx.addIssue({
        code: 'custom',
        path: ['SCRYPT_LOG_N'],
        message: 'SCRYPT_LOG_N must be at least 14 in production',
      });
    }
    if (env.NODE_ENV === 'production' && !env.MASTER_KEYS) {
      ctx.addIssue({
        code: 'custom',
        path: ['MASTER_KEYS'],
        message: 'MASTER_KEYS is required in production (see README, "Provider keys")',
      });
    }
  });

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
  scrypt: { logN: number; r: number; p: number; maxConcurrency: number };
  db: { poolMax: number };
  /**
   * Master keys for provider-key encryption, newest first. Absent outside
   * production: one is generated into DATA_DIR on first start and reused.
   */
  masterKeys: MasterKey[] | undefined;
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
    },
    db: { poolMax: e.DB_POOL_MAX },
    masterKeys: e.MASTER_KEYS,
  };
}
