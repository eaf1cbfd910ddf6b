import pino from 'pino';
import { ConfigError, loadConfig, type Config } from '../config';
import { entities } from '../entities';
import { openDatabase, type Database } from '../infra/db/database';
import { createLogger, type Logger } from '../infra/logger';

export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * Runs an operator command against the configured database: DATABASE_URL, or
 * the embedded PostgreSQL under DATA_DIR (reusing it if `npm start` is
 * running). Exit codes: 0 done, 1 failed, 2 wrong usage or configuration.
 */
export function runCommand(
  usage: string,
  command: (context: {
    config: Config;
    database: Database;
    logger: Logger;
    args: string[];
  }) => Promise<number>,
): void {
  const run = async (): Promise<number> => {
    const config = loadConfig();
    // Logs go to stderr; stdout carries the command's own report.
    const logger = createLogger(
      { logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel },
      pino.destination({ dest: 2, sync: true }),
    );
    const database = await openDatabase(config, logger, { entities, reuseRunningEmbedded: true });
    try {
      return await command({ config, database, logger, args: process.argv.slice(2) });
    } finally {
      await database.close();
    }
  };
  run().then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof UsageError || error instanceof ConfigError) {
        process.stderr.write(`${error.message}\nUsage: ${usage}\n`);
        process.exit(2);
      }
      process.stderr.write(`Failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
