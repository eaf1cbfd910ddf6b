import { OptionalProps } from '@mikro-orm/core';
import {
  Entity,
  Enum,
  Index,
  ManyToOne,
  PrimaryKey,
  Property,
  Unique,
} from '@mikro-orm/decorators/legacy';
import { newId } from '../common/ids';
import { User } from '../users/user.entity';

/**
 * What the security log records. Each is written in the same transaction as
 * the change it records (or, for a failure, on its own).
 */
export const SECURITY_EVENT_TYPES = [
  'SIGN_UP',
  /** A token was created by signing in (its id is the subject). */
  'SIGN_IN',
  /** A wrong password for an existing account. */
  'SIGN_IN_FAILED',
  'TOKEN_REVOKED',
  /** An expired token was used (once per token). */
  'TOKEN_EXPIRED',
  'OTHER_TOKENS_REVOKED',
  'PASSWORD_CHANGED',
  'PASSWORD_RESET',
  'EMAIL_VERIFIED',
  'EMAIL_CHANGED',
  'PROVIDER_KEY_ADDED',
  'PROVIDER_KEY_REPLACED',
  'PROVIDER_KEY_REMOVED',
  'DATA_EXPORTED',
  'ONBOARDING_COMPLETED',
  'ORGANIZATION_MEMBERSHIP_ADDED',
  'ORGANIZATION_MEMBERSHIP_REMOVED',
  'ORGANIZATION_MEMBERSHIP_CHANGED',
] as const;
export type SecurityEventKind = (typeof SECURITY_EVENT_TYPES)[number];

/** How long the log keeps an event. */
export const SECURITY_EVENT_RETENTION_DAYS = 90;

/**
 * One line of a user's security log. Holds what happened, when, from where
 * (truncated address, user agent cut short) and the id of what it happened
 * to — never a secret, a password, a token or a provider key.
 */
@Entity({ tableName: 'security_events' })
@Index({ name: 'security_events_user_seq_idx', properties: ['user', 'seq'] })
@Index({ name: 'security_events_occurred_at_idx', properties: ['occurredAt'] })
// An expired token's first use is logged once, whichever instance sees it.
@Unique({
  name: 'security_events_token_expired_once',
  expression: `create unique index "security_events_token_expired_once" on "security_events" ("subject_id") where "type" = 'TOKEN_EXPIRED'`,
})
export class SecurityEvent {
  [OptionalProps]?: 'seq' | 'id' | 'occurredAt' | 'ip' | 'userAgent' | 'subjectId';

  /** Insertion order: the log's order and its cursor (events of one transaction share a time). */
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  seq!: string;

  @Property({ type: 'text', unique: 'security_events_id_unique' })
  id: string = newId('sev');

  @ManyToOne(() => User, { deleteRule: 'cascade', updateRule: 'cascade' })
  user!: User;

  @Enum({ items: () => [...SECURITY_EVENT_TYPES] })
  type!: SecurityEventKind;

  @Property({ type: 'datetime' })
  occurredAt: Date = new Date();

  @Property({ type: 'text', nullable: true })
  ip: string | null = null;

  @Property({ type: 'text', nullable: true })
  userAgent: string | null = null;

  /** The id of what the event is about (a token, a provider key, an organization). */
  @Property({ type: 'text', nullable: true })
  subjectId: string | null = null;
}
