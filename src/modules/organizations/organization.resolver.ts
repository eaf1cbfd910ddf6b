import { Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import type { OrganizationService } from './organization.service';
import { InvitationType, OrganizationMemberType, OrganizationType } from './organization.types';

declare module '../../graphql/context' {
  interface RequestServices {
    organizations: OrganizationService;
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

  @FieldResolver(() => [InvitationType], {
    description: 'Invitations of the organization; visible to owners and admins (empty otherwise).',
  })
  invitations(
    @Root() organization: OrganizationType,
    @Ctx() ctx: Context,
  ): Promise<InvitationType[]> {
    return ctx.services.organizations.invitations(organization.id, organization.viewerRole);
  }

  @FieldResolver(() => [OrganizationMemberType], {
    description: 'Everyone in the organization, oldest member first.',
  })
  async members(
    @Root() organization: OrganizationType,
    @Ctx() ctx: Context,
  ): Promise<OrganizationMemberType[]> {
    const memberships = await ctx.services.organizations.members(organization.id);
    return memberships.map((membership) => ({
      id: membership.user.id,
      name: membership.user.name,
      email: membership.user.email,
      role: membership.role,
      joinedAt: membership.createdAt,
      organization,
    }));
  }
}
