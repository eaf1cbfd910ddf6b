import { Field, ID, Int, ObjectType } from 'type-graphql';
import { graphqlEnum } from '../../graphql/enums';
import { PLANS, type Plan } from '../../users/user.entity';

export const PlanEnum = graphqlEnum(
  'Plan',
  PLANS,
  'Subscription plan. It changes through billing, never through this API.',
);

@ObjectType('PlanLimits', { description: "The limits of the viewer's plan, and current usage." })
export class PlanLimitsType {
  @Field(() => ID, {
    description:
      "The viewer's id: one per viewer, so that caching clients (Apollo Client) keep it as one object.",
  })
  id!: string;

  @Field(() => PlanEnum)
  plan!: Plan;

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
