import { Field, Int, ObjectType } from 'type-graphql';
import { Plan } from '../profile/profile.types';
import type { Plan as PlanId } from '../../users/user.entity';

@ObjectType('PlanLimits', { description: "The limits of the viewer's plan, and current usage." })
export class PlanLimitsType {
  @Field(() => Plan)
  plan!: PlanId;

  @Field(() => Int)
  brands!: number;

  @Field(() => Int)
  prompts!: number;

  @Field(() => Int)
  competitors!: number;

  @Field(() => Int, { description: 'Active access tokens allowed ("API keys" in the plan table).' })
  accessTokens!: number;

  @Field(() => Int)
  contentScoresPerDay!: number;

  @Field(() => Int, { description: 'Active access tokens the viewer has now.' })
  activeAccessTokens!: number;
}
