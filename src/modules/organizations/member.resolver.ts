import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { Scope } from '../../auth/scopes';
import type { Context } from '../../graphql/context';
import { RequiresScope } from '../../graphql/scopes';
import type { MemberChange } from './member.service';
import { TransferOwnershipInput, UpdateMemberRoleInput } from './organization.inputs';
import { memberOf, OrganizationMemberType, OrganizationType } from './organization.types';

function changed({ membership, organization, actorRole }: MemberChange): OrganizationMemberType {
  return memberOf(membership, new OrganizationType(organization, actorRole));
}

@Resolver()
export class MemberResolver {
  @RequiresScope(Scope.ACCOUNT_WRITE)
  @Mutation(() => OrganizationMemberType, {
    description:
      "Changes a member's role. Owners change anyone's; admins those of admins and members, never to owner. The last owner cannot be demoted (CONFLICT).",
  })
  async updateMemberRole(
    @Arg('input', () => UpdateMemberRoleInput) input: UpdateMemberRoleInput,
    @Ctx() ctx: Context,
  ): Promise<OrganizationMemberType> {
    const { user } = await ctx.auth.require();
    return changed(await ctx.services.members.updateRole(user, input.membershipId, input.role));
  }

  @RequiresScope(Scope.ACCOUNT_WRITE)
  @Mutation(() => OrganizationMemberType, {
    description:
      'Removes a member (owners: anyone; admins: admins and members); they lose access at once. Answers the removed membership.',
  })
  async removeMember(
    @Arg('membershipId', () => ID) membershipId: string,
    @Ctx() ctx: Context,
  ): Promise<OrganizationMemberType> {
    const { user } = await ctx.auth.require();
    return changed(await ctx.services.members.remove(user, membershipId));
  }

  @RequiresScope(Scope.ACCOUNT_WRITE)
  @Mutation(() => ID, {
    description:
      'Leaves an organization; answers its id. Its last owner cannot (CONFLICT): transfer ownership first.',
  })
  async leaveOrganization(
    @Arg('organizationId', () => ID) organizationId: string,
    @Ctx() ctx: Context,
  ): Promise<string> {
    const { user } = await ctx.auth.require();
    await ctx.services.members.leave(user, organizationId);
    return organizationId;
  }

  @RequiresScope(Scope.ACCOUNT_WRITE)
  @Mutation(() => OrganizationType, {
    description: 'An owner makes another member an owner and becomes an admin.',
  })
  async transferOwnership(
    @Arg('input', () => TransferOwnershipInput) input: TransferOwnershipInput,
    @Ctx() ctx: Context,
  ): Promise<OrganizationType> {
    const { user } = await ctx.auth.require();
    const { organization, actorRole } = await ctx.services.members.transferOwnership(
      user,
      input.organizationId,
      input.membershipId,
    );
    return new OrganizationType(organization, actorRole);
  }
}
