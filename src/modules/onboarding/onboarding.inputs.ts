import { ArrayMaxSize, IsOptional, MaxLength } from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';
import { Field, InputType } from 'type-graphql';
import { Limits, NotBlank } from '../../common/validation';

export const ONBOARDING_LIMITS = {
  company: 255,
  useCase: 500,
  teamSize: 50,
  interests: 20,
  interest: 64,
  invites: 50,
} as const;

@InputType({ description: 'Onboarding answers. Completing again updates them.' })
export class CompleteOnboardingInput {
  @Field(() => String, { description: 'Becomes the profile name.' })
  @MaxLength(Limits.name)
  @NotBlank()
  fullName!: string;

  @Field(() => String, { description: 'Becomes the profile job title.' })
  @MaxLength(Limits.jobTitle)
  @NotBlank()
  jobTitle!: string;

  @Field(() => String)
  @MaxLength(ONBOARDING_LIMITS.company)
  @NotBlank()
  company!: string;

  @Field(() => String)
  @MaxLength(ONBOARDING_LIMITS.useCase)
  @NotBlank()
  useCase!: string;

  @Field(() => String, { description: 'For example "solo", "small", "medium", "large".' })
  @MaxLength(ONBOARDING_LIMITS.teamSize)
  @NotBlank()
  teamSize!: string;

  @Field(() => String, { description: 'Becomes the profile preferredStyle.' })
  @MaxLength(Limits.style)
  @NotBlank()
  prdStyle!: string;

  @Field(() => [String], { description: 'Features of interest, at most 20.' })
  @ArrayMaxSize(ONBOARDING_LIMITS.interests)
  @MaxLength(ONBOARDING_LIMITS.interest, { each: true })
  @NotBlank({ each: true })
  interests!: string[];

  @Field(() => Boolean, {
    nullable: true,
    description: 'Create an organization owned by the viewer (once; repeats reuse it).',
  })
  @IsOptional()
  createOrg?: boolean | null;

  @Field(() => String, { nullable: true, description: 'Defaults to `company`.' })
  @IsOptional()
  @MaxLength(Limits.name)
  @NotBlank()
  orgName?: string | null;

  @Field(() => [String], {
    nullable: true,
    description:
      'Teammates to invite to the organization, at most 50. Duplicates and your own email are skipped.',
  })
  @IsOptional()
  @ArrayMaxSize(ONBOARDING_LIMITS.invites)
  @MaxLength(Limits.email, { each: true })
  // Each is checked by OnboardingService (an invalid one is BAD_USER_INPUT naming it).
  @JSONSchema({ items: { format: 'email' } })
  inviteEmails?: string[] | null;
}
