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

export const INVITATION_STATUSES = ['pending', 'accepted', 'revoked'] as const;
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
@Index({ name: 'memberships_user_idx', properties: ['user'] })
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
@Unique({ name: 'invitations_organization_email_unique', properties: ['organization', 'email'] })
@Index({ name: 'invitations_invited_by_idx', properties: ['invitedBy'] })
export class Invitation extends TimestampedEntity<'status'> {
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
}
