import { Authorized, Ctx, Field, Mutation, ObjectType, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import type { ActivityService } from './activity.service';

declare module '../../graphql/context' {
  interface RequestServices {
    activity: ActivityService;
  }
}

@ObjectType('ActivityPing')
export class ActivityPingType {
  @Field(() => Boolean, {
    description: 'Whether this ping was recorded: at most one is, per 5 minutes.',
  })
  recorded!: boolean;

  @Field(() => Date)
  lastActiveAt!: Date;

  @Field(() => Date, { description: 'When the next ping will be recorded.' })
  nextRecordableAt!: Date;
}

@Resolver()
export class ActivityResolver {
  @Authorized()
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
