import v8 from 'node:v8';
import { createApp, GRAPHQL_PATH, type App } from './app';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './infra/logger';

/** Start-up only: configuration, the app, listening, and a clean shutdown. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Invalid configuration: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config);
  if (config.heapGrowingPercent > 0) {
    // A GC heuristic, read by V8 whenever it sizes the heap, so it takes
    // effect when set here. Under load V8 otherwise grows the old generation
    // to several times the live data and keeps it (see README, Performance).
    v8.setFlagsFromString(`--heap-growing-percent=${config.heapGrowingPercent}`);
  }

  const starting: Promise<App> = createApp(config, logger);
  let stopping: Promise<void> | undefined;
  // The first SIGTERM or SIGINT starts the shutdown; a repeated one (npm
  // forwards the signal it gets, and a signal to the whole group reaches node
  // as well) changes nothing, so the database is always stopped after the
  // drain. No handler calls process.exit: the process ends when nothing is
  // left open, with the exit code set below.
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.info({ signal }, 'already shutting down');
      return;
    }
    stopping = (async () => {
      logger.info({ signal }, 'shutting down');
      // Should a handle keep the process alive after everything is closed,
      // exit anyway, well after the grace period and the database stop.
      setTimeout(() => {
        logger.warn('handles still open after shutdown: exiting');
        logger.flush();
        process.exit();
      }, config.shutdownGraceMs + 30_000).unref();
      try {
        const app = await starting.catch(() => undefined);
        await app?.close();
        logger.info('stopped');
        logger.flush();
        process.exitCode = 0;
      } catch (error) {
        logger.error({ err: error }, 'error during shutdown');
        process.exitCode = 1;
      }
    })();
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  const app = await starting;
  if (stopping) return; // a signal arrived during start-up; shutdown closes the app

  const address = await app.server.listen({ host: config.host, port: config.port });
  const url = new URL(address);
  if (config.host === 'localhost') url.hostname = 'localhost';
  logger.info(
    { url: `${url.origin}${GRAPHQL_PATH}`, node: process.version, pid: process.pid },
    `GraphQL served at ${url.origin}${GRAPHQL_PATH}`,
  );
  if (config.metrics) {
    const port = await app.metrics.listen(config.metrics.host, config.metrics.port);
    logger.info(
      { metrics: `http://${config.metrics.host}:${port}/metrics` },
      `metrics served at http://${config.metrics.host}:${port}/metrics`,
    );
  }
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`Failed to start: ${message}\n`);
  process.exit(1);
});
