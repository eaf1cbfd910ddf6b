import { Args, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import type { Connection } from '../../graphql/connections';
import type { Context } from '../../graphql/context';
import type { InvitationService } from './invitation.service';
import type { MemberService } from './member.service';
import type { OrganizationService } from './organization.service';
import { PAGED, PageArgs } from './organization.inputs';
import {
  InvitationConnection,
  invitationOf,
  memberOf,
  OrganizationMemberConnection,
  OrganizationType,
  type InvitationType,
  type OrganizationMemberType,
} from './organization.types';

declare module '../../graphql/context' {
  interface RequestServices {
    organizations: OrganizationService;
    members: MemberService;
    invitations: InvitationService;
  }
}

@Resolver(() => OrganizationType)
export class OrganizationResolver {
  @FieldResolver(() => Int)
  memberCount(@Root() organization: OrganizationType, @Ctx() ctx: Context): Promise<number> {
    return organization.knownMemberCount !== undefined
      ? Promise.resolve(organization.knownMemberCount)
      : ctx.services.organizations.memberCount(organization.id);
  }

  @PAGED
  @FieldResolver(() => OrganizationMemberConnection.Connection, {
    description: 'Everyone in the organization, oldest member first, a page at a time.',
  })
  async members(
    @Root() organization: OrganizationType,
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() ctx: Context,
  ): Promise<Connection<OrganizationMemberType>> {
    return OrganizationMemberConnection.of(
      await ctx.services.organizations.members(organization.id, page),
      (member) => memberOf(member, organization),
    );
  }

  @PAGED
  @FieldResolver(() => InvitationConnection.Connection, {
    description:
      'Invitations of the organization, oldest first; visible to owners and admins (empty otherwise).',
  })
  async invitations(
    @Root() organization: OrganizationType,
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() ctx: Context,
  ): Promise<Connection<InvitationType>> {
    const read = await ctx.services.organizations.invitations(
      organization.id,
      organization.viewerRole,
      page,
    );
    const now = new Date();
    return InvitationConnection.of(read, (invitation) => invitationOf(invitation, now));
  }
}
