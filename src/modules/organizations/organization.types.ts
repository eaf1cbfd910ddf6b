import { EmailAddressResolver } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { graphqlEnum } from '../../graphql/enums';
import {
  INVITATION_STATUSES,
  ROLES,
  type InvitationStatus,
  type Organization,
  type Role,
} from './organization.entity';

export const MembershipRoleEnum = graphqlEnum('MembershipRole', ROLES);

export const InvitationStatusEnum = graphqlEnum('InvitationStatus', INVITATION_STATUSES);

@ObjectType('Invitation')
export class InvitationType {
  @Field(() => ID)
  id!: string;

  @Field(() => EmailAddressResolver)
  email!: string;

  @Field(() => InvitationStatusEnum)
  status!: InvitationStatus;

  @Field(() => Date)
  createdAt!: Date;
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

@ObjectType('OrganizationMember', {
  description: 'A member of an organization the viewer belongs to.',
})
export class OrganizationMemberType {
  @Field(() => ID, { description: 'The user id of the member.' })
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => EmailAddressResolver)
  email!: string;

  @Field(() => MembershipRoleEnum)
  role!: Role;

  @Field(() => Date)
  joinedAt!: Date;

  @Field(() => OrganizationType)
  organization!: OrganizationType;
}
