import { AccessToken } from '../../auth/access-token.entity';
import type { PreparedStatements } from '../../infra/db/sql';
import type { Jobs } from '../../infra/jobs/jobs';
import type { Log } from '../../infra/logger';
import { MailOutbox } from '../../infra/mail/mail-outbox.entity';
import { OneTimeCode } from '../../users/one-time-code.entity';
import { ActivityEvent } from '../activity/activity-event.entity';

/** Recorded activity is kept this long (by `recordedAt`). */
export const ACTIVITY_RETENTION_MONTHS = 13;
/** A revoked or expired access token is kept this long after it stopped working. */
export const DEAD_TOKEN_RETENTION_DAYS = 90;
/** A one-time code (used, superseded or not) is kept this long after it expired. */
export const EXPIRED_CODE_RETENTION_DAYS = 7;
/** A sent or failed message (its recipient, template and outcome) is kept this long. */
export const MAIL_RETENTION_DAYS = 30;

/** The job that deletes what outlived its retention. */
export const RETENTION_PURGE_JOB = 'account_retention_purge';

/** Rows one statement deletes at most: a purge never holds many locks, nor for long. */
export const PURGE_BATCH = 1_000;

/** The oldest `recordedAt` still kept, as of `now`. */
export function activityKeptSince(now: Date): Date {
  // As PostgreSQL subtracts months: the same day of the month, or the month's last if it has none.
  const months = now.getUTCFullYear() * 12 + now.getUTCMonth() - ACTIVITY_RETENTION_MONTHS;
  const year = Math.floor(months / 12);
  const month = months % 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const since = new Date(now);
  since.setUTCFullYear(year, month, Math.min(now.getUTCDate(), lastDay));
  return since;
}

/** Whether a dead token (revoked, or past its expiry) stopped working before `since`. */
export function deadTokensSince(now: Date): Date {
  return new Date(now.getTime() - DEAD_TOKEN_RETENTION_DAYS * 24 * 3600 * 1000);
}

/** Sent or failed mail created before this is past its retention. */
export function mailKeptSince(now: Date): Date {
  return new Date(now.getTime() - MAIL_RETENTION_DAYS * 24 * 3600 * 1000);
}

export interface Purged {
  activityEvents: number;
  accessTokens: number;
  oneTimeCodes: number;
  mails: number;
}

/**
 * The retention of activity and of dead access tokens (docs/operations.md):
 * a daily job deletes activity older than 13 months and tokens revoked or
 * expired more than 90 days ago; reads that show them (the export) apply the
 * same bounds, so what a user sees never depends on when the job last ran.
 * The same job deletes one-time codes a week after they expired (no link can
 * use them any more) and sent or failed mail after 30 days (the outbox keeps
 * recipients' addresses; pending mail is never purged).
 *
 * Each statement deletes one batch of rows it could lock without waiting
 * (`for update skip locked`), so instances purging at once share the work and
 * never block each other or a request for long. The security log purges its
 * own (src/auth/security-log.ts).
 */
export class RetentionPurge {
  private readonly activity: Statement;
  private readonly revokedTokens: Statement;
  private readonly expiredTokens: Statement;
  private readonly expiredCodes: Statement;
  private readonly sentMail: Statement;
  private readonly failedMail: Statement;

  constructor(private readonly statements: PreparedStatements) {
    const a = statements.columns(ActivityEvent);
    const t = statements.columns(AccessToken);
    this.activity = batchDelete(
      'retention_purge_activity_v1',
      a.table,
      a.column('id'),
      a.column('recordedAt'),
      'make_interval(months => $1::int)',
    );
    this.revokedTokens = batchDelete(
      'retention_purge_revoked_tokens_v1',
      t.table,
      t.column('id'),
      t.column('revokedAt'),
      'make_interval(days => $1::int)',
    );
    this.expiredTokens = batchDelete(
      'retention_purge_expired_tokens_v1',
      t.table,
      t.column('id'),
      t.column('expiresAt'),
      'make_interval(days => $1::int)',
    );
    const c = statements.columns(OneTimeCode);
    this.expiredCodes = batchDelete(
      'retention_purge_expired_codes_v1',
      c.table,
      c.column('id'),
      c.column('expiresAt'),
      'make_interval(days => $1::int)',
    );
    // One statement per status: each reads a range of the (status, created_at) index in order.
    const m = statements.columns(MailOutbox);
    const [sentMail, failedMail] = (['sent', 'failed'] as const).map((status) =>
      batchDelete(
        `retention_purge_${status}_mail_v1`,
        m.table,
        m.column('id'),
        m.column('createdAt'),
        'make_interval(days => $1::int)',
        `${m.column('status')} = '${status}'`,
      ),
    );
    this.sentMail = sentMail!;
    this.failedMail = failedMail!;
  }

  /** Registers the daily job (04:37 UTC): the schedule fires once across instances. */
  async register(jobs: Jobs, log: Log): Promise<void> {
    await jobs.work(
      RETENTION_PURGE_JOB,
      async () => {
        const purged = await this.purge();
        log.info(purged, 'retention purge done');
      },
      { maxAttempts: 3, expireInSeconds: 30 * 60 },
    );
    await jobs.schedule(RETENTION_PURGE_JOB, '37 4 * * *');
  }

  /** Deletes what outlived its retention, batch by batch; safe on several instances at once. */
  async purge(batchSize = PURGE_BATCH): Promise<Purged> {
    return {
      activityEvents: await this.drain(this.activity, ACTIVITY_RETENTION_MONTHS, batchSize),
      accessTokens:
        (await this.drain(this.revokedTokens, DEAD_TOKEN_RETENTION_DAYS, batchSize)) +
        (await this.drain(this.expiredTokens, DEAD_TOKEN_RETENTION_DAYS, batchSize)),
      oneTimeCodes: await this.drain(this.expiredCodes, EXPIRED_CODE_RETENTION_DAYS, batchSize),
      mails:
        (await this.drain(this.sentMail, MAIL_RETENTION_DAYS, batchSize)) +
        (await this.drain(this.failedMail, MAIL_RETENTION_DAYS, batchSize)),
    };
  }

  private async drain(
    { name, text }: Statement,
    retention: number,
    batchSize: number,
  ): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await this.statements.query(name, text, [retention, batchSize]);
      total += rows.length;
      if (rows.length < batchSize) return total;
    }
  }
}

interface Statement {
  name: string;
  text: string;
}

/**
 * One batch: the oldest rows past the bound that no other purge holds, in
 * the order of the time column's index (the order and the limit make that
 * index the plan whatever the estimates, also under a generic plan), deleted
 * by primary key (`= any(array(…))`: an index lookup per row, not a join
 * over the table).
 */
function batchDelete(
  name: string,
  table: string,
  id: string,
  time: string,
  retention: string,
  /** A further condition, a constant of the statement (never a value from outside). */
  and?: string,
): Statement {
  return {
    name,
    text: `delete from ${table} where ${id} = any(array(
             select ${id} from ${table}
              where ${and ? `${and} and ` : ''}${time} < now() - ${retention}
              order by ${time}
              limit $2 for update skip locked))
           returning 1`,
  };
}
