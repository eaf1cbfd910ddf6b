import {
  Arg,
  Args,
  Ctx,
  FieldResolver,
  Int,
  Query,
  Resolver,
  Root,
  type ClassType,
} from 'type-graphql';
import type { Connection } from '../../graphql/connections';
import { Scope } from '../../auth/scopes';
import type { Context } from '../../graphql/context';
import { RequiresScope } from '../../graphql/scopes';
import { ListSize } from '../../graphql/demand-control';
import type { User } from '../../users/user.entity';
import type { UserSnapshot } from '../../users/user-snapshot';
import { AccessTokenType } from '../access-tokens/access-token.types';
import { AuthPayloadType, ChangePasswordPayloadType } from '../account/account.types';
import { PROVIDERS } from '../api-keys/api-key.entity';
import { ApiKeyType } from '../api-keys/api-key.types';
import { statusOf } from '../onboarding/onboarding.service';
import {
  CompleteOnboardingPayloadType,
  OnboardingProgressType,
  OnboardingType,
} from '../onboarding/onboarding.types';
import { progressOf } from '../onboarding/progress';
import { MAX_RECEIVED } from '../organizations/invitation.service';
import { PAGED, PageArgs } from '../organizations/organization.inputs';
import {
  InvitationConnection,
  invitationOf,
  InvitationType,
  MembershipConnection,
  membershipOf,
  MembershipType,
  OrganizationType,
} from '../organizations/organization.types';
import { PLAN_LIMITS } from '../plans/plan-limits';
import { PlanLimitsType } from '../plans/plan.types';
import { ProfileType } from '../profile/profile.types';
import { UserType } from '../users/user.types';
import { view, type SecurityLogService } from '../security-log/security-log.service';
import { SecurityEventConnection } from '../security-log/security-log.types';
import type { ViewerReads } from './viewer-reads';
import { ViewerType } from './viewer.types';

declare module '../../graphql/context' {
  interface RequestServices {
    /** What the viewer owns, read in one statement (shared by the process). */
    viewerReads: ViewerReads;
    securityEvents: SecurityLogService;
  }
}

/** The most active access tokens any plan allows: the longest `accessTokens` can be. */
const MOST_ACCESS_TOKENS = Math.max(...Object.values(PLAN_LIMITS).map((l) => l.accessTokens));

/**
 * The read side of the API: `Query.viewer` and every field of `Viewer`. The
 * viewer's own columns come from the session's snapshot; everything it owns
 * from one statement (`ViewerReads`), read once per `Viewer` and shared by
 * all its fields, so that one answer shows one moment. The features own the
 * writes and the types; this module only reads.
 */
@Resolver(() => ViewerType)
export class ViewerResolver {
  @RequiresScope(Scope.ACCOUNT_READ)
  @Query(() => ViewerType, {
    nullable: true,
    description: 'The authenticated user. Needs `Authorization: Bearer <token>`.',
  })
  async viewer(@Ctx() ctx: Context): Promise<ViewerType> {
    return new ViewerType((await ctx.auth.require()).profile);
  }

  @FieldResolver(() => ProfileType)
  profile(@Root() viewer: ViewerType): UserSnapshot {
    return viewer.profile;
  }

  @FieldResolver(() => UserType, {
    description:
      'The viewer as others see them: the `User` entity other subgraphs of a federated graph extend.',
  })
  user(@Root() viewer: ViewerType): UserType {
    return new UserType(viewer.profile);
  }

  // Active tokens are bounded by the largest plan's limit.
  @ListSize({ assumedSize: MOST_ACCESS_TOKENS })
  @FieldResolver(() => [AccessTokenType], {
    description: "The viewer's active access tokens (metadata only), oldest first.",
  })
  async accessTokens(@Root() viewer: ViewerType, @Ctx() ctx: Context): Promise<AccessTokenType[]> {
    return (await viewer.owned(ctx.services.viewerReads)).accessTokens;
  }

  // One key per provider.
  @ListSize({ assumedSize: PROVIDERS.length })
  @FieldResolver(() => [ApiKeyType], { description: "The viewer's provider keys, masked." })
  async apiKeys(@Root() viewer: ViewerType, @Ctx() ctx: Context): Promise<ApiKeyType[]> {
    const { apiKeys } = await viewer.owned(ctx.services.viewerReads);
    return ctx.services.apiKeys.present(viewer.id, apiKeys);
  }

  @FieldResolver(() => OnboardingType)
  async onboarding(@Root() viewer: ViewerType, @Ctx() ctx: Context): Promise<OnboardingType> {
    return {
      id: viewer.id,
      ...statusOf((await viewer.owned(ctx.services.viewerReads)).onboarding),
    };
  }

  /** The profile's two steps from the snapshot `profile` shows, the rest from the owned rows. */
  @FieldResolver(() => OnboardingProgressType)
  async onboardingProgress(
    @Root() viewer: ViewerType,
    @Ctx() ctx: Context,
  ): Promise<OnboardingProgressType> {
    const owned = await viewer.owned(ctx.services.viewerReads);
    const progress = progressOf({
      jobTitle: viewer.profile.jobTitle,
      timezone: viewer.profile.timezone,
      onboarded: owned.onboarding !== null,
      apiKeys: owned.apiKeys.length,
      hasTeammate:
        owned.hasInvited ||
        owned.memberships.some((membership) => membership.organization.memberCount > 1),
    });
    return { id: viewer.id, ...progress };
  }

  @FieldResolver(() => PlanLimitsType)
  async planLimits(@Root() viewer: ViewerType, @Ctx() ctx: Context): Promise<PlanLimitsType> {
    // The plan of the profile this answer shows; the count of the tokens it lists.
    const { plan } = viewer.profile;
    const { accessTokens } = await viewer.owned(ctx.services.viewerReads);
    return { id: viewer.id, plan, ...PLAN_LIMITS[plan], activeAccessTokens: accessTokens.length };
  }

  @FieldResolver(() => SecurityEventConnection.Connection, {
    description:
      "The viewer's security log, newest first: sign-ins, failures, tokens, password, email and key changes, exports. Kept 90 days.",
  })
  async securityEvents(
    @Root() viewer: ViewerType,
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true, description: 'At most 100; default 20.' })
    first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ) {
    return SecurityEventConnection.of(
      await ctx.services.securityEvents.list(viewer.id, first ?? undefined, after),
      view,
    );
  }

  @FieldResolver(() => [MembershipType], {
    description: "The viewer's memberships, oldest first, each with its role and organization.",
  })
  async organizations(@Root() viewer: ViewerType, @Ctx() ctx: Context): Promise<MembershipType[]> {
    return (await viewer.owned(ctx.services.viewerReads)).memberships.map(membershipOf);
  }

  @PAGED
  @FieldResolver(() => MembershipConnection.Connection, {
    description:
      "The viewer's memberships, oldest first, a page at a time (keyset: the first page costs the same whatever their number). `organizations` lists them all at once.",
  })
  async memberships(
    @Root() viewer: ViewerType,
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() ctx: Context,
  ): Promise<Connection<MembershipType>> {
    const read = await ctx.services.organizations.viewerMemberships(viewer.id, page);
    return MembershipConnection.of(read, (membership) => ({
      id: membership.id,
      role: membership.role,
      joinedAt: membership.createdAt,
      organization: new OrganizationType(membership.organization, membership.role),
    }));
  }

  @PAGED
  @FieldResolver(() => InvitationConnection.Connection, {
    description:
      "Pending, unexpired invitations to the viewer's email once it is verified, newest first, a page at a time (`invitations` shows the newest 100 at once).",
  })
  async receivedInvitations(
    @Root() viewer: ViewerType,
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() ctx: Context,
  ): Promise<Connection<InvitationType>> {
    const read = await ctx.services.organizations.receivedInvitations(
      { id: viewer.id, email: viewer.profile.email, emailVerified: viewer.profile.emailVerified },
      page,
    );
    const now = new Date();
    return InvitationConnection.of(read, (invitation) => invitationOf(invitation, now));
  }

  @ListSize({ assumedSize: MAX_RECEIVED })
  @FieldResolver(() => [InvitationType], {
    description:
      "Pending, unexpired invitations to the viewer's email once it is verified, newest first (at most 100).",
  })
  async invitations(@Root() viewer: ViewerType, @Ctx() ctx: Context): Promise<InvitationType[]> {
    const now = new Date();
    return (await ctx.services.invitations.received(viewer.profile)).map((invitation) =>
      invitationOf(invitation, now),
    );
  }
}

/**
 * `viewer` on a mutation's payload: the user as that mutation left it, with
 * reads of its own made after the write.
 */
function payloadViewerResolver<T extends { user: User }>(payload: ClassType<T>) {
  @Resolver(() => payload)
  class PayloadViewerResolver {
    @FieldResolver(() => ViewerType)
    viewer(@Root() root: T): ViewerType {
      return new ViewerType(root.user);
    }
  }
  return PayloadViewerResolver;
}

export const payloadViewerResolvers = [
  payloadViewerResolver(AuthPayloadType),
  payloadViewerResolver(ChangePasswordPayloadType),
  payloadViewerResolver(CompleteOnboardingPayloadType),
] as const;
