import { Arg, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Viewer } from '../viewer/viewer.type';
import { UpdateProfileInput } from './profile.inputs';
import { Profile } from './profile.types';

@Resolver(() => Viewer)
export class ProfileResolver {
  @FieldResolver(() => Profile)
  profile(@Root() viewer: Viewer): Profile {
    return viewer.user;
  }

  @Authorized()
  @Mutation(() => Profile, { description: 'Partial update of the viewer profile.' })
  async updateProfile(
    @Arg('input', () => UpdateProfileInput) input: UpdateProfileInput,
    @Ctx() ctx: Context,
  ): Promise<Profile> {
    const { user } = await ctx.auth.require();
    return ctx.services.profiles.update(user, input);
  }
}
