import { Arg, Args, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { Scope } from '../../auth/scopes';
import type { Context } from '../../graphql/context';
import { RequiresScope } from '../../graphql/scopes';
import { TimeZoneScalar } from '../../graphql/scalars';
import type { UserSnapshot } from '../../users/user-snapshot';
import { DEFAULT_TIMEZONE } from '../../users/user.entity';
import { UpdateProfileInput, UpdateTimezoneArgs } from './profile.inputs';
import type { ProfileService } from './profile.service';
import { ProfileType } from './profile.types';

declare module '../../graphql/context' {
  interface RequestServices {
    profiles: ProfileService;
  }
}

@Resolver()
export class ProfileResolver {
  @RequiresScope(Scope.ACCOUNT_WRITE)
  @Mutation(() => ProfileType, { description: 'Partial update of the viewer profile.' })
  async updateProfile(
    @Arg('input', () => UpdateProfileInput) input: UpdateProfileInput,
    @Ctx() ctx: Context,
  ): Promise<ProfileType> {
    const { user } = await ctx.auth.require();
    return ctx.services.profiles.update(user, input);
  }

  @RequiresScope(Scope.ACCOUNT_WRITE)
  @Mutation(() => ProfileType, {
    description:
      'Sets the time zone: an IANA name such as America/New_York. Aliases (Asia/Calcutta) are stored in canonical form (Asia/Kolkata).',
  })
  async updateTimezone(
    @Args(() => UpdateTimezoneArgs) { timezone }: UpdateTimezoneArgs,
    @Ctx() ctx: Context,
  ): Promise<ProfileType> {
    const { user } = await ctx.auth.require();
    return ctx.services.profiles.updateTimezone(user, timezone);
  }
}

@Resolver(() => ProfileType)
export class ProfileFieldsResolver {
  @FieldResolver(() => TimeZoneScalar)
  timezone(@Root() profile: UserSnapshot): string {
    return profile.timezone ?? DEFAULT_TIMEZONE;
  }
}
