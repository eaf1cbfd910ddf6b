import { OptionalProps } from '@mikro-orm/core';
import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

export const MAIL_STATUSES = ['pending', 'sent', 'failed'] as const;
export type MailStatus = (typeof MAIL_STATUSES)[number];

/**
 * One message of the transactional outbox: written in the transaction of
 * the change that causes it, delivered afterwards by the `mail_deliver` job
 * (which carries only this row's id). The row is the message's truth: its
 * status, attempts and last error; its id is the Message-ID's left side.
 * A one-time code in the message is kept sealed (AES-256-GCM under the
 * master keys, bound to this row's id) and erased once sent or failed.
 *
 * `userId` is not a foreign key (infra knows no users table): account
 * deletion removes the account's rows, and a job whose row is gone sends
 * nothing.
 */
@Entity({ tableName: 'mail_outbox' })
@Index({ name: 'mail_outbox_user_idx', properties: ['userId'] })
@Index({ name: 'mail_outbox_status_created_idx', properties: ['status', 'createdAt'] })
export class MailOutbox {
  [OptionalProps]?: 'status' | 'attempts' | 'createdAt' | 'data';

  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'text', nullable: true })
  userId: string | null = null;

  @Property({ type: 'string', length: 64 })
  template!: string;

  @Property({ type: 'string', length: 320 })
  recipient!: string;

  /** Non-secret template data (names, the link's path). */
  @Property({ type: 'json' })
  data: Record<string, string> = {};

  /** The sealed one-time code of the link; null once sent or failed. */
  @Property({ type: 'text', nullable: true })
  secretSealed: string | null = null;

  /** pg-boss's job id, to cancel it with the row. */
  @Property({ type: 'text', nullable: true })
  jobId: string | null = null;

  @Enum({ items: () => [...MAIL_STATUSES], default: 'pending' })
  status: MailStatus = 'pending';

  @Property({ type: 'integer', default: 0 })
  attempts: number = 0;

  /** Only the kind of failure (SMTP code, command, reply code): never an address or text. */
  @Property({ type: 'string', length: 200, nullable: true })
  lastError: string | null = null;

  /** Not worth sending after this (a reset link lives an hour); null: no limit. */
  @Property({ type: 'datetime', nullable: true })
  deliverBy: Date | null = null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  sentAt: Date | null = null;
}
