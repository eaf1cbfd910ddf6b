import { Arg, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { OrganizationType } from '../organizations/organization.types';
import { Viewer } from '../viewer/viewer.type';
import { CompleteOnboardingInput } from './onboarding.inputs';
import { statusOf } from './onboarding.service';
import {
  CompleteOnboardingPayload,
  OnboardingProgressType,
  OnboardingType,
} from './onboarding.types';
import { progressOf } from './progress';

@Resolver(() => Viewer)
export class OnboardingResolver {
  @FieldResolver(() => OnboardingType)
  async onboarding(@Root() viewer: Viewer, @Ctx() ctx: Context): Promise<OnboardingType> {
    return statusOf((await viewer.owned(ctx.services.viewerReads)).onboarding);
  }

  @FieldResolver(() => OnboardingProgressType)
  async onboardingProgress(
    @Root() viewer: Viewer,
    @Ctx() ctx: Context,
  ): Promise<OnboardingProgressType> {
    return progressOf(viewer.profile, await viewer.owned(ctx.services.viewerReads));
  }

  @Authorized()
  @Mutation(() => CompleteOnboardingPayload, {
    description:
      'Completes onboarding: fills the profile, stores the answers and, with createOrg, creates an organization with pending invitations. Repeating it updates the answers and never duplicates the organization or an invitation.',
  })
  async completeOnboarding(
    @Arg('input', () => CompleteOnboardingInput) input: CompleteOnboardingInput,
    @Ctx() ctx: Context,
  ): Promise<CompleteOnboardingPayload> {
    const { user } = await ctx.auth.require();
    const result = await ctx.services.onboarding.complete(user, input);
    return {
      onboarding: result.status,
      organization: result.organization && new OrganizationType(result.organization, 'owner'),
      invitations: result.invited,
      viewer: Viewer.of(result.user),
    };
  }
}
