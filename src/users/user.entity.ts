import { Check, Entity, Enum, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { newId } from '../common/ids';
import { TimestampedEntity } from '../infra/db/base.entity';

export const PLANS = ['free', 'starter', 'growth'] as const;
/** The time zone of a user who has not chosen one (stored as null, so a choice stays visible). */
export const DEFAULT_TIMEZONE = 'UTC';
export type Plan = (typeof PLANS)[number];

@Entity({ tableName: 'users' })
// Emails are stored normalised (trimmed, lower case), so the unique index on
// `email` is a case-insensitive uniqueness guarantee; the check keeps it so.
@Check({ name: 'users_email_normalised', expression: 'email = lower(btrim(email))' })
export class User extends TimestampedEntity<
  | 'timezone'
  | 'emailVerified'
  | 'plan'
  | 'jobTitle'
  | 'bio'
  | 'avatarUrl'
  | 'preferredStyle'
  | 'lastActiveAt'
> {
  @PrimaryKey({ type: 'text' })
  id: string = newId('user');

  @Property({ type: 'text', unique: 'users_email_unique' })
  email!: string;

  @Property({ type: 'text', hidden: true, lazy: true })
  passwordHash!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text', nullable: true })
  jobTitle: string | null = null;

  @Property({ type: 'text', nullable: true })
  bio: string | null = null;

  @Property({ type: 'text', nullable: true })
  avatarUrl: string | null = null;

  @Property({ type: 'text', nullable: true })
  preferredStyle: string | null = null;

  /** Canonical IANA name; null until the user sets one (shown as DEFAULT_TIMEZONE). */
  @Property({ type: 'text', nullable: true })
  timezone: string | null = null;

  @Property({ type: 'boolean', default: false })
  emailVerified: boolean = false;

  @Enum({ items: () => [...PLANS], default: 'free' })
  plan: Plan = 'free';

  /** Last recorded activity (see ActivityService: at most every 5 minutes). */
  @Property({ type: 'datetime', nullable: true })
  lastActiveAt: Date | null = null;
}
