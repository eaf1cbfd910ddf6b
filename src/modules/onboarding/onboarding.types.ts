import { Field, ID, Int, ObjectType } from 'type-graphql';
import { ListSize } from '../../graphql/demand-control';
import { InvitationType, OrganizationType } from '../organizations/organization.types';
import type { User } from '../../users/user.entity';
import { ONBOARDING_LIMITS } from './onboarding.inputs';
import { STEP_IDS } from './progress';

@ObjectType('OnboardingPreferences')
export class OnboardingPreferencesType {
  @Field(() => String)
  company!: string;

  @Field(() => String)
  useCase!: string;

  @Field(() => String)
  teamSize!: string;

  @Field(() => String)
  prdStyle!: string;

  @Field(() => [String])
  interests!: string[];
}

@ObjectType('Onboarding')
export class OnboardingType {
  @Field(() => ID, {
    description:
      "The viewer's id: one per viewer, so that caching clients (Apollo Client) keep it as one object.",
  })
  id!: string;

  @Field(() => Boolean)
  completed!: boolean;

  @Field(() => Date, { nullable: true, description: 'First completion; null before.' })
  completedAt!: Date | null;

  @Field(() => OnboardingPreferencesType, {
    nullable: true,
    description: 'Null before completion.',
  })
  preferences!: OnboardingPreferencesType | null;
}

@ObjectType('CompleteOnboardingPayload')
export class CompleteOnboardingPayloadType {
  @Field(() => OnboardingType)
  onboarding!: OnboardingType;

  @Field(() => OrganizationType, {
    nullable: true,
    description: 'The organization onboarding created (now or on an earlier completion).',
  })
  organization!: OrganizationType | null;

  @ListSize({ assumedSize: ONBOARDING_LIMITS.invites })
  @Field(() => [InvitationType], { description: 'Invitations created by this completion.' })
  invitations!: InvitationType[];

  /** Not a GraphQL field: the user as this completion left it (the payload's `viewer`). */
  user!: User;
}

@ObjectType('OnboardingStep')
export class OnboardingStepType {
  @Field(() => String, {
    description: 'profile, timezone, onboarding, api_key or invite_teammate.',
  })
  id!: string;

  @Field(() => String)
  title!: string;

  @Field(() => Boolean)
  completed!: boolean;
}

@ObjectType('OnboardingProgress', {
  description: 'A 5-step checklist, each step derived from the account data.',
})
export class OnboardingProgressType {
  @Field(() => ID, {
    description:
      "The viewer's id: one per viewer, so that caching clients (Apollo Client) keep it as one object.",
  })
  id!: string;

  @ListSize({ assumedSize: STEP_IDS.length })
  @Field(() => [OnboardingStepType])
  steps!: OnboardingStepType[];

  @Field(() => Int)
  completedCount!: number;

  @Field(() => Int)
  totalCount!: number;

  @Field(() => Int, { description: '0-100, rounded.' })
  percentComplete!: number;

  @Field(() => OnboardingStepType, {
    nullable: true,
    description: 'First step not done; null when all are.',
  })
  nextStep!: OnboardingStepType | null;
}
