import { Ctx, Mutation, Resolver } from 'type-graphql';
import { Scope } from '../../auth/scopes';
import type { Context } from '../../graphql/context';
import { RequiresScope } from '../../graphql/scopes';
import type { ActivityService } from './activity.service';
import { ActivityPingType } from './activity.types';

declare module '../../graphql/context' {
  interface RequestServices {
    activity: ActivityService;
  }
}

@Resolver()
export class ActivityResolver {
  @RequiresScope(Scope.ACCOUNT_WRITE)
  @Mutation(() => ActivityPingType, {
    description: 'Records activity; pings inside the 5-minute window succeed without writing.',
  })
  async recordActivity(@Ctx() ctx: Context): Promise<ActivityPingType> {
    const session = await ctx.auth.require();
    return ctx.services.activity.record({
      userId: session.userId,
      lastActiveAt: session.profile.lastActiveAt,
      readAt: session.readAt,
    });
  }
}
