import { Ctx, Field, FieldResolver, Int, ObjectType, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { PLAN_LIMITS } from './plan-limits';
import { Plan } from '../profile/profile.types';
import type { Plan as PlanId } from '../../users/user.entity';
import { Viewer } from '../viewer/viewer.type';

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

@Resolver(() => Viewer)
export class PlanResolver {
  @FieldResolver(() => PlanLimitsType)
  async planLimits(@Root() viewer: Viewer, @Ctx() ctx: Context): Promise<PlanLimitsType> {
    // The plan of the profile this answer shows; the count of the tokens it lists.
    const { plan } = viewer.profile;
    const { accessTokens } = await viewer.owned(ctx.services.viewerReads);
    return { plan, ...PLAN_LIMITS[plan], activeAccessTokens: accessTokens.length };
  }
}
