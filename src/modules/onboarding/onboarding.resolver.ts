import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { Scope } from '../../auth/scopes';
import type { Context } from '../../graphql/context';
import { RequiresScope } from '../../graphql/scopes';
import { invitationOf, OrganizationType } from '../organizations/organization.types';
import { CompleteOnboardingInput } from './onboarding.inputs';
import type { OnboardingService } from './onboarding.service';
import { CompleteOnboardingPayloadType } from './onboarding.types';

declare module '../../graphql/context' {
  interface RequestServices {
    onboarding: OnboardingService;
  }
}

@Resolver()
export class OnboardingResolver {
  @RequiresScope(Scope.ACCOUNT_WRITE)
  @Mutation(() => CompleteOnboardingPayloadType, {
    description:
      'Completes onboarding: fills the profile, stores the answers and, with createOrg, creates an organization with pending invitations. Repeating it updates the answers and never duplicates the organization or an invitation.',
  })
  async completeOnboarding(
    @Arg('input', () => CompleteOnboardingInput) input: CompleteOnboardingInput,
    @Ctx() ctx: Context,
  ): Promise<CompleteOnboardingPayloadType> {
    const { user } = await ctx.auth.require();
    const result = await ctx.services.onboarding.complete(user, input);
    return {
      onboarding: { id: user.id, ...result.status },
      organization: result.organization && new OrganizationType(result.organization, 'owner'),
      invitations: result.invited.map((invitation) => invitationOf(invitation)),
      user: result.user,
    };
  }
}
