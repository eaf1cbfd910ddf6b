import { ArrayMaxSize, MaxLength } from 'class-validator';
import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';
import { MAX_CURSOR_LENGTH } from '../../common/cursor';
import { ListSize } from '../../graphql/demand-control';
import { Limits } from '../../common/validation';
import { MAX_INVITES } from './invitation.service';
import type { Role } from './organization.entity';
import { MembershipRoleEnum } from './organization.types';
import { PAGE } from './organization.service';

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

/** `first` and `after` of the keyset-paged lists (organization members and invitations, the viewer's memberships and received invitations). */
@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: 'Page size, 1 to 100 (default 20).' })
  first?: number | null;

  @Field(() => String, {
    nullable: true,
    description: "The previous page's `pageInfo.endCursor`.",
  })
  @MaxLength(MAX_CURSOR_LENGTH)
  after?: string | null;
}

/**
 * Demand control: a page holds `first` items, at most PAGE.max; without
 * `first` (or with a variable, unknown when the cost is computed) it counts
 * as the largest page, so the estimate is never below what can run.
 */
export const PAGED = ListSize({
  assumedSize: PAGE.max,
  slicingArguments: ['first'],
  sizedFields: ['edges', 'nodes'],
  requireOneSlicingArgument: false,
});
