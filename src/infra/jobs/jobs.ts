/**
 * Background jobs on PostgreSQL through pg-boss (exact pin; chosen over
 * graphile-worker 0.18 after the measurements in docs/mail-and-jobs.md):
 * retries with exponential back-off, exactly-once pickup across instances
 * (SKIP LOCKED), cron schedules that fire once across instances, a bounded
 * graceful stop, a visible failed state. It installs and migrates its own
 * schema (`pgboss`) on start, under its own advisory lock.
 *
 * Features use four calls:
 * - `jobs.work(name, handler, settings?)`: this process takes jobs of `name`
 *   (the queue is created or updated with `settings`; every instance
 *   registers the same handlers, and `JOBS_WORKER=false` makes an instance
 *   send-only);
 * - `jobs.schedule(name, cron)`: a cron schedule (UTC) that sends a job of
 *   `name` (which some instance `work`s); it fires once across instances;
 * - `jobs.send(em, name, data)` inside `em.transactional()`: the job commits
 *   or rolls back with the caller's change (the transactional outbox);
 * - `jobs.cancel(em, name, ids)`: drops jobs not yet running, in the caller's
 *   transaction.
 * Register in `createDependencies` (src/services.ts); `createApp` starts the
 * queue after the migrations and stops it on close.
 */
import { PgBoss, type JobWithMetadata, type Queue } from 'pg-boss';
import type { EntityManager } from '@mikro-orm/postgresql';
import { within } from '../../common/time';
import { transactionExecutor } from '../db/sql';
import type { Logger } from '../logger';

/** How jobs run in this process (from the configuration). */
export interface JobsSettings {
  /** Take jobs here (`JOBS_WORKER`); false: this instance only sends. */
  worker: boolean;
  /** Idle poll per queue (`JOBS_POLL_INTERVAL_MS`, at least 500). */
  pollIntervalMs: number;
  /** pg-boss's own pool (`JOBS_POOL_MAX`). */
  poolMax: number;
  /** How long `stop()` waits for running jobs before giving them back (`JOBS_STOP_TIMEOUT_MS`). */
  stopTimeoutMs: number;
}

/** A queue's retry policy; pg-boss keeps it in the database. */
export interface QueueSettings {
  /** Attempts in all (the first plus retries). */
  maxAttempts: number;
  /** Delay before the first retry; doubles (with jitter) each time. */
  retryDelaySeconds: number;
  /** Longest delay between attempts. */
  retryDelayMaxSeconds: number;
  /** A running job not finished within this is taken as lost and retried. */
  expireInSeconds: number;
  /** Jobs of this queue one process runs at once. */
  concurrency: number;
  /** How long a finished job (and its data) is kept. */
  deleteAfterSeconds: number;
}

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = {
  maxAttempts: 5,
  retryDelaySeconds: 5,
  retryDelayMaxSeconds: 3600,
  expireInSeconds: 120,
  concurrency: 1,
  deleteAfterSeconds: 7 * 24 * 3600,
};

/** What a handler learns about the job it runs. */
export interface JobInfo {
  id: string;
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  /** Aborted when the job expires or the process stops. */
  signal: AbortSignal;
}

/** Runs one job; throwing means "failed, retry later" (until maxAttempts, then failed). */
export type JobHandler<T> = (data: T, job: JobInfo) => Promise<void>;

/** Queue names: letters, digits and `_` (pg-boss and cron both accept them). */
const NAME = /^[a-z][a-z0-9_]{0,63}$/;

interface Registration {
  handler: JobHandler<never>;
  settings: QueueSettings;
}

export class Jobs {
  private readonly boss: PgBoss;
  private readonly log: Logger;
  private readonly handlers = new Map<string, Registration>();
  private readonly schedules = new Map<string, { cron: string; data: object | null }>();
  private state: 'new' | 'starting' | 'started' | 'stopped' = 'new';

  constructor(
    connectionString: string,
    private readonly settings: JobsSettings,
    logger: Logger,
  ) {
    this.log = logger.child({ component: 'jobs' });
    this.boss = new PgBoss({
      connectionString,
      max: settings.poolMax,
      application_name: 'account-api-jobs',
      connectionTimeoutMillis: 5_000,
    });
    // An EventEmitter 'error' without a listener would end the process;
    // pg-boss reports database trouble this way and carries on.
    this.boss.on('error', (error: Error) => {
      const code = (error as { code?: unknown }).code;
      this.log.error(
        { error: error.name, code: typeof code === 'string' ? code : undefined },
        `job queue error: ${oneLine(error.message)}`,
      );
    });
    this.boss.on('warning', (warning: { message: string }) => {
      this.log.warn(`job queue warning: ${oneLine(warning.message)}`);
    });
  }

  /**
   * Takes jobs of `name` in this process with `handler` (unless JOBS_WORKER
   * is off), and creates the queue with `settings`. Before `start()`, it is
   * remembered; after, it applies at once.
   */
  async work<T extends object>(
    name: string,
    handler: JobHandler<T>,
    settings: Partial<QueueSettings> = {},
  ): Promise<void> {
    if (!NAME.test(name)) throw new Error(`job name "${name}" must match ${String(NAME)}`);
    if (this.handlers.has(name)) throw new Error(`job "${name}" already has a handler`);
    const registration = {
      handler: handler as JobHandler<never>,
      settings: { ...DEFAULT_QUEUE_SETTINGS, ...settings },
    };
    this.handlers.set(name, registration);
    if (this.state === 'started') await this.install(name, registration);
  }

  /** A cron schedule (five fields, UTC) that sends a job of `name` once per tick across instances. */
  async schedule(name: string, cron: string, data: object | null = null): Promise<void> {
    if (!this.handlers.has(name))
      throw new Error(`schedule "${name}": register it with work() first`);
    this.schedules.set(name, { cron, data });
    if (this.state === 'started') await this.boss.schedule(name, cron, data, { tz: 'UTC' });
  }

  /**
   * Sends a job on the caller's transaction: it exists only if the caller
   * commits. `em` must be inside `em.transactional()`. Returns the job's id.
   */
  async send(
    em: EntityManager,
    name: string,
    data: object,
    options: { startAfterSeconds?: number } = {},
  ): Promise<string> {
    this.assertStarted();
    const registration = this.handlers.get(name);
    if (!registration) throw new Error(`job "${name}" has no registered queue`);
    const id = await this.boss.send(name, data, {
      db: transactionExecutor(em),
      retryLimit: registration.settings.maxAttempts - 1,
      ...(options.startAfterSeconds ? { startAfter: options.startAfterSeconds } : {}),
    });
    if (id === null) throw new Error(`job "${name}" was not created`);
    return id;
  }

  /** Deletes jobs of `name` that have not finished, in the caller's transaction. */
  async cancel(em: EntityManager, name: string, ids: readonly string[]): Promise<void> {
    this.assertStarted();
    if (ids.length > 0) await this.boss.deleteJob(name, [...ids], { db: transactionExecutor(em) });
  }

  /** A queue's counts, for tests and health (failed jobs included). */
  async queue(name: string): Promise<Queue | null> {
    return this.boss.getQueue(name);
  }

  /** Installs pg-boss's schema, the queues and schedules, and starts taking jobs. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`jobs already ${this.state}`);
    this.state = 'starting';
    await this.boss.start();
    for (const [name, registration] of this.handlers) await this.install(name, registration);
    for (const [name, { cron, data }] of this.schedules) {
      await this.boss.schedule(name, cron, data, { tz: 'UTC' });
    }
    this.state = 'started';
    this.log.info(
      { queues: [...this.handlers.keys()], worker: this.settings.worker },
      'job queue started',
    );
  }

  /**
   * Takes no new jobs, waits for running ones at most JOBS_STOP_TIMEOUT_MS
   * (a job still running then is given back and retried, here or by another
   * instance), and closes the pool. Bounded even if pg-boss hangs.
   */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'new') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopped';
    const timeout = this.settings.stopTimeoutMs;
    const stopped = this.boss.stop({ graceful: true, timeout, close: true });
    try {
      if ((await within(stopped, timeout + 5_000, 'timeout' as const)) === 'timeout') {
        this.log.error({ timeoutMs: timeout }, 'job queue did not stop in time');
      }
    } catch (error) {
      this.log.error(
        { error: error instanceof Error ? error.name : typeof error },
        'job queue stop failed',
      );
    }
  }

  private async install(name: string, { handler, settings }: Registration): Promise<void> {
    const options = {
      retryLimit: settings.maxAttempts - 1,
      retryDelay: settings.retryDelaySeconds,
      retryBackoff: true,
      retryDelayMax: settings.retryDelayMaxSeconds,
      expireInSeconds: settings.expireInSeconds,
      // A job still waiting after a week is dropped by pg-boss; keep it above
      // the longest retry span (the outbox row keeps the mail's state anyway).
      retentionSeconds: 7 * 24 * 3600,
      deleteAfterSeconds: settings.deleteAfterSeconds,
    };
    // createQueue leaves an existing queue's options as they were: update too.
    await this.boss.createQueue(name, options);
    await this.boss.updateQueue(name, options);
    if (!this.settings.worker) return;
    await this.boss.work(
      name,
      {
        batchSize: 1,
        includeMetadata: true,
        localConcurrency: settings.concurrency,
        pollingIntervalSeconds: this.settings.pollIntervalMs / 1000,
      },
      async ([job]: JobWithMetadata<object>[]) => {
        if (!job) return;
        await handler(job.data as never, {
          id: job.id,
          attempt: job.retryCount + 1,
          maxAttempts: job.retryLimit + 1,
          signal: job.signal,
        });
      },
    );
  }

  private assertStarted(): void {
    if (this.state !== 'started') throw new Error(`jobs cannot send while ${this.state}`);
  }
}

/** pg-boss messages may quote a job's data or SQL: one short line, no more. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').slice(0, 200);
}
