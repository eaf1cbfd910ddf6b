import {
  Entity,
  Enum,
  Index,
  ManyToOne,
  PrimaryKey,
  Property,
  Unique,
} from '@mikro-orm/decorators/legacy';
import { newId } from '../../common/ids';
import { TimestampedEntity } from '../../infra/db/base.entity';
import { User } from '../../users/user.entity';

export const ROLES = ['owner', 'admin', 'member'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Stored statuses. `expired` is what a pending invitation past `expiresAt`
 * shows; it is stored only when a new invitation to the same address
 * replaces it (the partial unique index allows one pending per address).
 */
export const INVITATION_STATUSES = [
  'pending',
  'accepted',
  'declined',
  'revoked',
  'expired',
] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

@Entity({ tableName: 'organizations' })
@Index({ name: 'organizations_created_by_idx', properties: ['createdBy'] })
export class Organization extends TimestampedEntity {
  @PrimaryKey({ type: 'text' })
  id: string = newId('org');

  @Property({ type: 'text' })
  name!: string;

  /** Who created it; cleared (not cascaded) when that account is deleted. */
  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null', updateRule: 'cascade' })
  createdBy: User | null = null;
}

@Entity({ tableName: 'memberships' })
@Unique({ name: 'memberships_organization_user_unique', properties: ['organization', 'user'] })
// A user's memberships, and their keyset pages (viewer.memberships): (user, createdAt, id) in order.
@Index({ name: 'memberships_user_created_idx', properties: ['user', 'createdAt', 'id'] })
// Keyset pagination of an organization's members: (organization, createdAt, id) in order.
@Index({
  name: 'memberships_organization_created_idx',
  properties: ['organization', 'createdAt', 'id'],
})
export class Membership extends TimestampedEntity {
  @PrimaryKey({ type: 'text' })
  id: string = newId('mem');

  @ManyToOne(() => Organization, { deleteRule: 'cascade', updateRule: 'cascade' })
  organization!: Organization;

  @ManyToOne(() => User, { deleteRule: 'cascade', updateRule: 'cascade' })
  user!: User;

  @Enum({ items: () => [...ROLES] })
  role!: Role;
}

@Entity({ tableName: 'invitations' })
// One pending invitation per address and organization; answered ones stay as history.
@Index({
  name: 'invitations_pending_email_unique',
  expression:
    'create unique index "invitations_pending_email_unique" on "invitations" ("organization_id", "email") where "status" = \'pending\'',
})
@Index({ name: 'invitations_invited_by_idx', properties: ['invitedBy'] })
// Invitations to an address, and their keyset pages (viewer.receivedInvitations), newest first.
@Index({ name: 'invitations_email_created_idx', properties: ['email', 'createdAt', 'id'] })
// Keyset pagination of an organization's invitations.
@Index({
  name: 'invitations_organization_created_idx',
  properties: ['organization', 'createdAt', 'id'],
})
export class Invitation extends TimestampedEntity<'status' | 'role' | 'tokenHash'> {
  @PrimaryKey({ type: 'text' })
  id: string = newId('inv');

  @ManyToOne(() => Organization, { deleteRule: 'cascade', updateRule: 'cascade' })
  organization!: Organization;

  /** Normalised (trimmed, lower case), so the unique key is case-insensitive. */
  @Property({ type: 'text' })
  email!: string;

  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null', updateRule: 'cascade' })
  invitedBy: User | null = null;

  @Enum({ items: () => [...INVITATION_STATUSES], default: 'pending' })
  status: InvitationStatus = 'pending';

  /** The role the invitee gets on accepting. */
  @Enum({ items: () => [...ROLES], default: 'member' })
  role: Role = 'member';

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  /**
   * Hex SHA-256 of the accept link's one-time code (the code itself is never
   * stored); a resend replaces it, so the older link stops working.
   */
  @Property({ type: 'text', nullable: true, hidden: true, unique: 'invitations_token_hash_unique' })
  tokenHash: string | null = null;
}
