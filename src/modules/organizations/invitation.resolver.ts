import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { Scope } from '../../auth/scopes';
import type { Context } from '../../graphql/context';
import { Public, RequiresScope } from '../../graphql/scopes';
import type { Membership } from './organization.entity';
import { InviteMembersInput } from './organization.inputs';
import {
  invitationOf,
  InvitationType,
  InviteMembersPayloadType,
  MembershipType,
  OrganizationType,
} from './organization.types';

function membershipOfEntity(membership: Membership): MembershipType {
  return {
    id: membership.id,
    role: membership.role,
    joinedAt: membership.createdAt,
    organization: new OrganizationType(membership.organization, membership.role),
  };
}

@Resolver()
export class InvitationResolver {
  @RequiresScope(Scope.ACCOUNT_WRITE)
  @Mutation(() => InviteMembersPayloadType, {
    description:
      'Owners and admins invite people by email (at most 50 at once); each invitation is mailed with an accept link valid 14 days. An organization holds at most 500 pending invitations (beyond: PLAN_LIMIT_EXCEEDED, nothing sent); 20 inviting requests an hour per account, onboarding with inviteEmails included.',
  })
  async inviteMembers(
    @Arg('input', () => InviteMembersInput) input: InviteMembersInput,
    @Ctx() ctx: Context,
  ): Promise<InviteMembersPayloadType> {
    const { user } = await ctx.auth.require();
    const result = await ctx.services.invitations.invite(
      user,
      input.organizationId,
      input.emails,
      input.role,
    );
    const now = new Date();
    return {
      invitations: result.invitations.map((invitation) => invitationOf(invitation, now)),
      skippedEmails: result.skipped,
    };
  }

  @RequiresScope(Scope.ACCOUNT_WRITE)
  @Mutation(() => InvitationType, {
    description: 'Revokes a pending invitation: its link stops working.',
  })
  async revokeInvitation(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: Context,
  ): Promise<InvitationType> {
    const { user } = await ctx.auth.require();
    return invitationOf(await ctx.services.invitations.revoke(user, id));
  }

  @RequiresScope(Scope.ACCOUNT_WRITE)
  @Mutation(() => InvitationType, {
    description:
      'Mails a pending invitation again with a new link (the old one stops working) valid 14 more days. At most 3 an hour per invitation.',
  })
  async resendInvitation(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: Context,
  ): Promise<InvitationType> {
    const { user } = await ctx.auth.require();
    return invitationOf(await ctx.services.invitations.resend(user, id));
  }

  @RequiresScope(Scope.ACCOUNT_WRITE)
  @Mutation(() => MembershipType, {
    description:
      "Accepts an invitation with its link's code. The signed-in user's verified email must be the invited one (else FORBIDDEN). Accepting again answers the same membership.",
  })
  async acceptInvitation(
    @Arg('token', () => String) token: string,
    @Ctx() ctx: Context,
  ): Promise<MembershipType> {
    const { user } = await ctx.auth.require();
    return membershipOfEntity(await ctx.services.invitations.acceptByCode(user, token));
  }

  @RequiresScope(Scope.ACCOUNT_WRITE)
  @Mutation(() => MembershipType, {
    description: 'Accepts one of `viewer.invitations` (no link needed).',
  })
  async acceptInvitationById(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: Context,
  ): Promise<MembershipType> {
    const { user } = await ctx.auth.require();
    return membershipOfEntity(await ctx.services.invitations.acceptById(user, id));
  }

  @Public()
  @Mutation(() => InvitationType, {
    description: "Declines an invitation with its link's code; no account needed.",
  })
  async declineInvitation(
    @Arg('token', () => String) token: string,
    @Ctx() ctx: Context,
  ): Promise<InvitationType> {
    return invitationOf(await ctx.services.invitations.declineByCode(token));
  }

  @RequiresScope(Scope.ACCOUNT_WRITE)
  @Mutation(() => InvitationType, { description: 'Declines one of `viewer.invitations`.' })
  async declineInvitationById(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: Context,
  ): Promise<InvitationType> {
    const { user } = await ctx.auth.require();
    return invitationOf(await ctx.services.invitations.declineById(user, id));
  }
}
