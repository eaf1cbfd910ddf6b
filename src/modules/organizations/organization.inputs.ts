import { ArrayMaxSize, MaxLength } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { Limits } from '../../common/validation';
import { MAX_INVITES } from './invitation.service';
import type { Role } from './organization.entity';
import { MembershipRoleEnum } from './organization.types';

/** Ids are `<prefix>_` and 22 characters; anything longer is no id of ours. */
const ID_LENGTH = 64;

@InputType()
export class InviteMembersInput {
  @Field(() => ID)
  @MaxLength(ID_LENGTH)
  organizationId!: string;

  @Field(() => [String], {
    description:
      'Addresses to invite, at most 50. Duplicates, your own address, members and addresses with a pending invitation are skipped.',
  })
  @ArrayMaxSize(MAX_INVITES)
  @MaxLength(Limits.email, { each: true })
  emails!: string[];

  @Field(() => MembershipRoleEnum, {
    defaultValue: 'member',
    description: 'The role each invitee gets; only owners invite owners.',
  })
  role!: Role;
}

@InputType()
export class UpdateMemberRoleInput {
  @Field(() => ID, { description: 'The membership (`OrganizationMember.id`).' })
  @MaxLength(ID_LENGTH)
  membershipId!: string;

  @Field(() => MembershipRoleEnum)
  role!: Role;
}

@InputType()
export class TransferOwnershipInput {
  @Field(() => ID)
  @MaxLength(ID_LENGTH)
  organizationId!: string;

  @Field(() => ID, {
    description: 'The member who becomes an owner; you become an admin.',
  })
  @MaxLength(ID_LENGTH)
  membershipId!: string;
}
