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
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && env.SCRYPT_LOG_N < 14) {
      ctx.addIssue({
        code: 'custom',
        path: ['SCRYPT_LOG_N'],
        message: 'SCRYPT_LOG_N must be at least 14 in production',
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
  };
}
