import { EmailAddressResolver, URLResolver } from 'graphql-scalars';
import { TimeZoneScalar } from '../../graphql/scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import type { Plan } from '../../users/user.entity';
import { PlanEnum } from '../plans/plan.types';

@ObjectType('Profile', { description: "The viewer's profile and preferences." })
export class ProfileType {
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

  @Field(() => PlanEnum)
  plan!: Plan;

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
