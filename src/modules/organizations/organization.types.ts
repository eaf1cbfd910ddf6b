import { EmailAddressResolver } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { connectionType } from '../../graphql/connections';
import { graphqlEnum } from '../../graphql/enums';
import type { InvitationRow } from './invitation-pages';
import type { MemberRow } from './member-pages';
import {
  INVITATION_STATUSES,
  ROLES,
  type Invitation,
  type InvitationStatus,
  type Organization,
  type Role,
} from './organization.entity';

export const MembershipRoleEnum = graphqlEnum('MembershipRole', ROLES);

export const InvitationStatusEnum = graphqlEnum('InvitationStatus', INVITATION_STATUSES);

@ObjectType('Invitation', {
  description:
    'An invitation to join an organization, as its owners and admins or its invitee see it.',
})
export class InvitationType {
  @Field(() => ID)
  id!: string;

  @Field(() => EmailAddressResolver, { description: 'The invited address.' })
  email!: string;

  @Field(() => MembershipRoleEnum, { description: 'The role the invitee gets on accepting.' })
  role!: Role;

  @Field(() => InvitationStatusEnum, {
    description: '`expired` once a pending invitation is past `expiresAt`.',
  })
  status!: InvitationStatus;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { description: 'Until when it can be accepted (14 days after it was sent).' })
  expiresAt!: Date;

  @Field(() => ID)
  organizationId!: string;

  @Field(() => String)
  organizationName!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Who sent it (null once their account is deleted).',
  })
  inviterName!: string | null;
}

/** The status a client sees: a pending invitation past its expiry is `expired`. */
export function visibleStatus(
  invitation: Pick<Invitation, 'status' | 'expiresAt'>,
  now: Date,
): InvitationStatus {
  return invitation.status === 'pending' && invitation.expiresAt <= now
    ? 'expired'
    : invitation.status;
}

/** An invitation with its organization (and inviter, if any) loaded. */
export function invitationOf(invitation: InvitationRow, now = new Date()): InvitationType {
  return {
    id: invitation.id,
    email: invitation.email,
    role: invitation.role,
    status: visibleStatus(invitation, now),
    createdAt: invitation.createdAt,
    expiresAt: invitation.expiresAt,
    organizationId: invitation.organization.id,
    organizationName: invitation.organization.name,
    inviterName: invitation.invitedBy?.name ?? null,
  };
}

/** An organization as seen by one of its members. */
@ObjectType('Organization')
export class OrganizationType {
  @Field(() => ID)
  id: string;

  @Field(() => String)
  name: string;

  @Field(() => Date)
  createdAt: Date;

  @Field(() => MembershipRoleEnum, { description: "The viewer's role in it." })
  viewerRole: Role;

  /** Not a GraphQL field: the member count, when it was read with the rest. */
  readonly knownMemberCount: number | undefined;

  constructor(
    organization: Pick<Organization, 'id' | 'name' | 'createdAt'> & { memberCount?: number },
    viewerRole: Role,
  ) {
    this.id = organization.id;
    this.name = organization.name;
    this.createdAt = organization.createdAt;
    this.viewerRole = viewerRole;
    this.knownMemberCount = organization.memberCount;
  }
}

@ObjectType('Membership')
export class MembershipType {
  @Field(() => ID)
  id!: string;

  @Field(() => MembershipRoleEnum)
  role!: Role;

  @Field(() => Date)
  joinedAt!: Date;

  @Field(() => OrganizationType)
  organization!: OrganizationType;
}

/** A membership as read with its organization (and that organization's member count). */
export interface MembershipRow {
  id: string;
  role: Role;
  createdAt: Date;
  organization: Pick<Organization, 'id' | 'name' | 'createdAt'> & { memberCount: number };
}

export function membershipOf(membership: MembershipRow): MembershipType {
  return {
    id: membership.id,
    role: membership.role,
    joinedAt: membership.createdAt,
    organization: new OrganizationType(membership.organization, membership.role),
  };
}

// Not `User`: that name is the federated entity, the public face only
// (src/modules/users/user.types.ts); fellow members also see the email.
@ObjectType('MemberUser', {
  description: 'Another user, as a fellow member of an organization sees them.',
})
export class MemberUserType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => EmailAddressResolver)
  email!: string;

  @Field(() => String, { nullable: true })
  avatarUrl!: string | null;
}

@ObjectType('OrganizationMember', {
  description:
    'A membership of an organization the viewer belongs to: one person in one organization.',
})
export class OrganizationMemberType {
  @Field(() => ID, {
    description:
      'The membership id (`mem_…`): the same person in two organizations is two members.',
  })
  id!: string;

  @Field(() => MemberUserType)
  user!: MemberUserType;

  @Field(() => MembershipRoleEnum)
  role!: Role;

  @Field(() => Date)
  joinedAt!: Date;

  @Field(() => OrganizationType)
  organization!: OrganizationType;
}

/** A membership with its user loaded, in the organization the viewer sees. */
export function memberOf(
  membership: MemberRow,
  organization: OrganizationType,
): OrganizationMemberType {
  return {
    id: membership.id,
    user: membership.user,
    role: membership.role,
    joinedAt: membership.createdAt,
    organization,
  };
}

export const OrganizationMemberConnection = connectionType(
  'OrganizationMember',
  OrganizationMemberType,
);

export const InvitationConnection = connectionType('Invitation', InvitationType);

/** `viewer.memberships`: the viewer's memberships a page at a time. */
export const MembershipConnection = connectionType('Membership', MembershipType);

@ObjectType('InviteMembersPayload')
export class InviteMembersPayloadType {
  @Field(() => [InvitationType], { description: 'The invitations made (and mailed) now.' })
  invitations!: InvitationType[];

  @Field(() => [EmailAddressResolver], {
    description: 'Addresses skipped: already members, or with a pending invitation.',
  })
  skippedEmails!: string[];
}
