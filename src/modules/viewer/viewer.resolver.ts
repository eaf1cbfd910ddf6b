import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Viewer } from './viewer.type';

@Resolver(() => Viewer)
export class ViewerResolver {
  @Authorized()
  @Query(() => Viewer, {
    nullable: true,
    description: 'The authenticated user. Needs `Authorization: Bearer <token>`.',
  })
  async viewer(@Ctx() ctx: Context): Promise<Viewer> {
    return new Viewer(await ctx.auth.require());
  }
}
