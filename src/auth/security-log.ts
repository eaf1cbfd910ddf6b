import type { EntityManager } from '@mikro-orm/postgresql';
import type { PreparedStatements } from '../infra/db/sql';
import type { Jobs } from '../infra/jobs/jobs';
import type { Log } from '../infra/logger';
import type { User } from '../users/user.entity';
import type { ClientInfo } from './client';
import {
  SECURITY_EVENT_RETENTION_DAYS,
  SecurityEvent,
  type SecurityEventKind,
} from './security-event.entity';
import { newId } from '../common/ids';

/** The job that purges the security log past its retention. */
export const SECURITY_LOG_PURGE_JOB = 'security_log_purge';

/**
 * Writes the security log. An event joins the unit of work of the change it
 * records (`add`): the flush or transaction that writes the change writes the
 * event, or neither is written. Reads of the hot paths write nothing; the one
 * write on the authentication path is an expired token's first use.
 */
export class SecurityLog {
  private readonly expiredOnce: { name: string; text: string };
  private readonly purgeBatch: { name: string; text: string };

  constructor(private readonly statements: PreparedStatements) {
    const e = statements.columns(SecurityEvent);
    // Once per token: the partial unique index makes a second use (on any instance) a no-op.
    this.expiredOnce = {
      name: 'security_log_token_expired_v1',
      text: `insert into ${e.table} (${e.column('id')}, ${e.column('user')}, ${e.column('type')},
                    ${e.column('occurredAt')}, ${e.column('ip')}, ${e.column('userAgent')}, ${e.column('subjectId')})
             values ($1, $2, 'TOKEN_EXPIRED', now(), $3, $4, $5)
             on conflict (${e.column('subjectId')}) where ${e.column('type')} = 'TOKEN_EXPIRED' do nothing`,
    };
    // Batches, each locking only rows no other purge holds: instances purging at once share the
    // work. The oldest first, in the order of the occurred_at index (order + limit make that index
    // the plan whatever the estimates), deleted by key (`= any(array(…))`): an `in (select …)`
    // here was planned as a semi-join that scanned the whole table for every batch (measured on
    // the activity purge of the same shape, src/modules/account/retention.ts).
    this.purgeBatch = {
      name: 'security_log_purge_v2',
      text: `delete from ${e.table} where ${e.column('seq')} = any(array(
               select ${e.column('seq')} from ${e.table}
                where ${e.column('occurredAt')} < now() - make_interval(days => $1::int)
                order by ${e.column('occurredAt')}
                limit $2 for update skip locked))
             returning 1`,
    };
  }

  /** Adds an event to `em`'s unit of work: written by the flush that writes the change it records. */
  static add(
    em: EntityManager,
    user: User,
    type: SecurityEventKind,
    client: ClientInfo,
    subjectId: string | null = null,
  ): SecurityEvent {
    return em.create(SecurityEvent, {
      user,
      type,
      ip: client.ip,
      userAgent: client.userAgent,
      subjectId,
    });
  }

  /** Records the first use of an expired token (later uses write nothing). */
  async tokenExpired(userId: string, tokenId: string, client: ClientInfo): Promise<void> {
    await this.statements.query(this.expiredOnce.name, this.expiredOnce.text, [
      newId('sev'),
      userId,
      client.ip,
      client.userAgent,
      tokenId,
    ]);
  }

  /**
   * The retention purge as a daily job (03:17 UTC): the schedule fires once
   * across instances, and `purge` is safe should two runs meet anyway.
   */
  async registerPurge(jobs: Jobs, log: Log): Promise<void> {
    await jobs.work(
      SECURITY_LOG_PURGE_JOB,
      async () => {
        const deleted = await this.purge();
        log.info({ deleted }, 'security log purged');
      },
      { maxAttempts: 3, expireInSeconds: 15 * 60 },
    );
    await jobs.schedule(SECURITY_LOG_PURGE_JOB, '17 3 * * *');
  }

  /**
   * Deletes events older than the retention period, in batches; returns how
   * many. Safe to run on several instances at once.
   */
  async purge(retentionDays = SECURITY_EVENT_RETENTION_DAYS, batchSize = 1_000): Promise<number> {
    let total = 0;
    for (;;) {
      const { name, text } = this.purgeBatch;
      const rows = await this.statements.query(name, text, [retentionDays, batchSize]);
      total += rows.length;
      if (rows.length < batchSize) return total;
    }
  }
}
