import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Viewer } from '../viewer/viewer.type';
import { AccessTokenType } from './access-token.types';

@Resolver(() => Viewer)
export class AccessTokenResolver {
  @FieldResolver(() => [AccessTokenType], {
    description: "The viewer's active access tokens (metadata only), oldest first.",
  })
  async accessTokens(@Root() viewer: Viewer, @Ctx() ctx: Context): Promise<AccessTokenType[]> {
    return (await viewer.owned(ctx.services.viewerReads)).accessTokens;
  }

  @Authorized()
  @Mutation(() => AccessTokenType, {
    description: 'Revokes one of the viewer tokens; it stops working at once.',
  })
  async revokeAccessToken(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: Context,
  ): Promise<AccessTokenType> {
    const { user } = await ctx.auth.require();
    return ctx.services.tokens.revoke(user, id);
  }
}
