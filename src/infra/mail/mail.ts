/**
 * The transactional outbox. A feature calls `mail.enqueueMail(em, …)` inside
 * its own `em.transactional()`: the outbox row and the `mail_deliver` job
 * (which carries only the row's id) commit or roll back with the change that
 * causes the message. A worker delivers it afterwards with retries and
 * exponential back-off; a message that keeps failing ends `failed` (logged
 * at error level). Delivery is at-least-once with a stable Message-ID
 * (`<outboxId@host>`): the one window for a duplicate is SMTP accepting the
 * message and the process dying before the row says `sent`.
 */
import { randomBytes } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { JobInfo, Jobs } from '../jobs/jobs';
import type { Logger } from '../logger';
import { MailOutbox } from './mail-outbox.entity';
import type { MailSettings } from './settings';
import { renderMail, type MailTemplate } from './templates';
import { createMailTransport, PermanentMailError, type MailTransport } from './transport';

export const MAIL_DELIVER_JOB = 'mail_deliver';

/** Seals the one-time code kept in the outbox (the master key ring, adapted in services.ts). */
export interface SecretBox {
  seal(plaintext: string, associatedData: string): string;
  /** Throws for anything tampered or sealed under an unknown key. */
  open(sealed: string, associatedData: string): string;
}

export interface MailRequest {
  template: MailTemplate;
  /** The recipient's address (at most 320 characters). */
  to: string;
  /** The account the message belongs to: deleting it drops the message. */
  userId?: string | null;
  /**
   * Non-secret template data: at most 10 entries, each value at most 1,024
   * UTF-16 units (inputs are limited in characters: 255 of them outside the
   * BMP take 510 units).
   */
  data?: Record<string, string>;
  /** A link `${APP_URL}${path}?token=${token}`; the token is kept sealed until delivery. */
  link?: { path: string; token: string };
  /** Not worth delivering after this many seconds (a reset link lives an hour). */
  deliverWithinSeconds?: number;
}

/** The outbox as the metrics read it. */
export interface MailBacklog {
  pending: number;
  failed: number;
  /** Age of the oldest pending message (0 when none waits). */
  oldestPendingSeconds: number;
}

export class Mail {
  private readonly log: Logger;
  private readonly messageIdHost: string;
  readonly transport: MailTransport;

  constructor(
    private readonly orm: MikroORM,
    private readonly jobs: Jobs,
    private readonly settings: MailSettings,
    private readonly secrets: SecretBox,
    logger: Logger,
    transport?: MailTransport,
  ) {
    this.log = logger.child({ component: 'mail' });
    this.messageIdHost = new URL(settings.appUrl).hostname || 'localhost';
    this.transport = transport ?? createMailTransport(settings, logger);
  }

  /** Registers the delivery worker (before `jobs.start()`). */
  async register(): Promise<void> {
    await this.jobs.work<{ outboxId: string }>(
      MAIL_DELIVER_JOB,
      (data, job) => this.deliver(data, job),
      {
        maxAttempts: this.settings.maxAttempts,
        retryDelaySeconds: this.settings.retryDelaySeconds,
        retryDelayMaxSeconds: 3600,
        // Above the SMTP worst case (connection + greeting + socket timeouts).
        expireInSeconds: Math.max(
          60,
          Math.ceil(
            (this.settings.timeouts.connectionMs +
              this.settings.timeouts.greetingMs +
              this.settings.timeouts.socketMs) /
              1000,
          ) * 2,
        ),
        concurrency: 2,
      },
    );
  }

  /**
   * Queues a message in the caller's transaction (`em` inside
   * `em.transactional()`); returns the outbox id. Nothing is sent unless the
   * caller commits.
   */
  async enqueueMail(em: EntityManager, request: MailRequest): Promise<string> {
    checkRequest(request);
    const id = `mail_${randomBytes(16).toString('base64url')}`;
    const data: Record<string, string> = { ...request.data };
    if (request.link) data['linkPath'] = request.link.path;
    const jobId = await this.jobs.send(em, MAIL_DELIVER_JOB, { outboxId: id });
    await em.insert(MailOutbox, {
      id,
      userId: request.userId ?? null,
      template: request.template,
      recipient: request.to,
      data,
      secretSealed: request.link ? this.secrets.seal(request.link.token, id) : null,
      jobId,
      deliverBy:
        request.deliverWithinSeconds === undefined
          ? null
          : new Date(Date.now() + request.deliverWithinSeconds * 1000),
      createdAt: new Date(),
    });
    return id;
  }

  /** Deletes an account's messages (and cancels the undelivered ones' jobs), in the caller's transaction. */
  async dropForUser(em: EntityManager, userId: string): Promise<number> {
    const pending = await em.find(
      MailOutbox,
      { userId, status: 'pending', jobId: { $ne: null } },
      { fields: ['id', 'jobId'] },
    );
    await this.jobs.cancel(
      em,
      MAIL_DELIVER_JOB,
      pending.map((row) => row.jobId as string),
    );
    return em.nativeDelete(MailOutbox, { userId });
  }

  /**
   * What waits and what failed, for the metrics (`mail_outbox_*`): three
   * small reads on the (status, created_at) index. Failed rows are kept 30
   * days (`account_retention_purge`), so `failed` counts that window.
   */
  async backlog(): Promise<MailBacklog> {
    const em = this.orm.em.fork();
    const pending = await em.count(MailOutbox, { status: 'pending' });
    const failed = await em.count(MailOutbox, { status: 'failed' });
    const oldest = pending
      ? await em.findOne(
          MailOutbox,
          { status: 'pending' },
          { orderBy: { createdAt: 'asc' }, fields: ['createdAt'] },
        )
      : null;
    const oldestPendingSeconds = oldest
      ? Math.max(0, (Date.now() - oldest.createdAt.getTime()) / 1000)
      : 0;
    return { pending, failed, oldestPendingSeconds };
  }

  /**
   * The job: delivers one outbox row. Throwing means "retry later".
   *
   * The row stays locked (FOR UPDATE) from the read to the outcome, SMTP
   * conversation included (bounded by the SMTP timeouts, kept below the
   * database's idle-in-transaction limit): an account deletion waits for a
   * send in flight and then finds the row sent, never sends after it; and a
   * second worker that takes the same job (after `expireInSeconds`) waits
   * and finds it sent.
   */
  async deliver({ outboxId }: { outboxId: string }, job: JobInfo): Promise<void> {
    const log = this.log.child({ outboxId, attempt: job.attempt });
    const retry = await this.orm.em.fork().transactional(async (em) => {
      const row = await em.findOne(
        MailOutbox,
        { id: outboxId },
        { lockMode: LockMode.PESSIMISTIC_WRITE },
      );
      if (!row || row.status !== 'pending') {
        log.info({ state: row?.status ?? 'deleted' }, 'mail not sent: no longer pending');
        return undefined;
      }
      if (row.deliverBy && row.deliverBy.getTime() < Date.now()) {
        await this.finish(em, row, 'failed', 'expired before delivery');
        log.error({ template: row.template }, 'mail failed: expired before it could be delivered');
        return undefined;
      }
      await em.nativeUpdate(MailOutbox, { id: outboxId }, { attempts: row.attempts + 1 });
      let link: string | undefined;
      if (row.secretSealed && row.data['linkPath']) {
        const token = this.secrets.open(row.secretSealed, outboxId);
        link = `${this.settings.appUrl}${row.data['linkPath']}?token=${encodeURIComponent(token)}`;
      }
      const rendered = renderMail(row.template as MailTemplate, {
        appName: this.settings.appName,
        link,
        data: row.data,
      });
      try {
        await this.transport.send({
          to: row.recipient,
          subject: rendered.subject,
          text: rendered.text,
          messageId: `<${outboxId}@${this.messageIdHost}>`,
          link,
        });
      } catch (error) {
        const description = error instanceof Error ? error.message : 'mail error';
        const permanent = error instanceof PermanentMailError;
        if (permanent || job.attempt >= job.maxAttempts) {
          await this.finish(em, row, 'failed', description);
          log.error(
            { template: row.template, error: description, attempts: job.attempt },
            permanent
              ? 'mail failed: refused by the SMTP server'
              : 'mail failed: attempts exhausted',
          );
          return undefined;
        }
        await em.nativeUpdate(MailOutbox, { id: outboxId }, { lastError: description });
        log.warn(
          { template: row.template, error: description, maxAttempts: job.maxAttempts },
          'mail not delivered yet; will retry',
        );
        // Thrown after the commit, so that the attempt and its error stay recorded.
        return error instanceof Error ? error : new Error(description);
      }
      await this.finish(em, row, 'sent', null);
      log.info({ template: row.template }, 'mail sent');
      return undefined;
    });
    if (retry) throw retry;
  }

  close(): void {
    this.transport.close();
  }

  private async finish(
    em: EntityManager,
    row: MailOutbox,
    status: 'sent' | 'failed',
    error: string | null,
  ): Promise<void> {
    await em.nativeUpdate(
      MailOutbox,
      { id: row.id },
      {
        status,
        lastError: error,
        secretSealed: null,
        sentAt: status === 'sent' ? new Date() : null,
      },
    );
  }
}

const LINK_PATH = /^\/[A-Za-z0-9/_-]{1,100}$/;

/** A programming error, not user input: features pass checked values. */
function checkRequest(request: MailRequest): void {
  if (request.to.length === 0 || request.to.length > 320) throw new Error('mail: bad recipient');
  const entries = Object.entries(request.data ?? {});
  if (entries.length > 10 || entries.some(([, v]) => v.length > 1024)) {
    throw new Error('mail: data too large');
  }
  if (request.link && !LINK_PATH.test(request.link.path)) throw new Error('mail: bad link path');
  if (request.link && (request.link.token.length === 0 || request.link.token.length > 200)) {
    throw new Error('mail: bad link token');
  }
}
