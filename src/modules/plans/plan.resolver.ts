import { Ctx, Field, FieldResolver, Int, ObjectType, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Plan } from '../users/profile.types';
import type { Plan as PlanId } from '../users/user.entity';
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
  planLimits(@Root() viewer: Viewer, @Ctx() ctx: Context): Promise<PlanLimitsType> {
    return ctx.services.plans.usage(viewer.user);
  }
}
