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
import { User } from './user.entity';

export const CODE_PURPOSES = ['email_verification', 'password_reset', 'email_change'] as const;
export type CodePurpose = (typeof CODE_PURPOSES)[number];

/**
 * A one-time code of a link: random (256 bits), kept only as its SHA-256,
 * bound to one purpose and one user, single use, short-lived, and superseded
 * by a newer one of the same purpose. At most one live code per user and
 * purpose (the partial unique index below), and the hash is unique. Rows go
 * with the user (ON DELETE CASCADE). (Invitations keep their own codes, in
 * src/modules/organizations.)
 */
@Entity({ tableName: 'one_time_codes' })
@Index({ name: 'one_time_codes_user_purpose_idx', properties: ['user', 'purpose'] })
@Unique({
  name: 'one_time_codes_live_unique',
  expression:
    'create unique index "one_time_codes_live_unique" on "one_time_codes" ("user_id", "purpose") where "used_at" is null and "superseded_at" is null',
})
@Index({ name: 'one_time_codes_expires_idx', properties: ['expiresAt'] })
export class OneTimeCode {
  [OptionalProps]?: 'createdAt' | 'usedAt' | 'supersededAt' | 'email';

  @PrimaryKey({ type: 'text' })
  id: string = newId('otc');

  @Enum({ items: () => [...CODE_PURPOSES] })
  purpose!: CodePurpose;

  @ManyToOne(() => User, { deleteRule: 'cascade', updateRule: 'cascade' })
  user!: User;

  /** SHA-256 of the code; the code itself is never stored. */
  @Property({ type: 'bytea', unique: 'one_time_codes_hash_unique' })
  codeHash!: Buffer;

  /**
   * The address the code was sent to: verification codes verify only that
   * address; email-change codes switch to it.
   */
  @Property({ type: 'text', nullable: true })
  email: string | null = null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  usedAt: Date | null = null;

  @Property({ type: 'datetime', nullable: true })
  supersededAt: Date | null = null;
}
