import { EmailAddressResolver, URLResolver } from 'graphql-scalars';
import { TimeZoneScalar } from '../../graphql/scalars';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { PLANS, type Plan as PlanId } from '../../users/user.entity';

export const Plan = Object.fromEntries(PLANS.map((plan) => [plan, plan])) as {
  [P in PlanId]: P;
};
registerEnumType(Plan, {
  name: 'Plan',
  description: 'Subscription plan. It changes through billing, never through this API.',
});

@ObjectType({ description: "The viewer's profile and preferences." })
export class Profile {
  @Field(() => ID)
  id!: string;

  @Field(() => EmailAddressResolver)
  email!: string;

  @Field(() => String, { description: 'Display name, 1-255 characters.' })
  name!: string;

  @Field(() => String, { nullable: true })
  jobTitle!: string | null;

  @Field(() => String, { nullable: true })
  bio!: string | null;

  @Field(() => URLResolver, { nullable: true })
  avatarUrl!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Document style preference (the same setting as onboarding `prdStyle`).',
  })
  preferredStyle!: string | null;

  /** Null until the user chooses one; the field resolver shows UTC then. */
  @Field(() => TimeZoneScalar, { description: 'IANA time zone, canonical form. Default UTC.' })
  timezone!: string | null;

  @Field(() => Boolean)
  emailVerified!: boolean;

  @Field(() => Plan)
  plan!: PlanId;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;

  @Field(() => Date, {
    nullable: true,
    description: 'Last recorded activity (recordActivity records at most every 5 minutes).',
  })
  lastActiveAt!: Date | null;
}
