import { Arg, Authorized, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import type { AccessTokenService } from './access-token.service';
import { AccessTokenType } from './access-token.types';

declare module '../../graphql/context' {
  interface RequestServices {
    tokens: AccessTokenService;
  }
}

@Resolver()
export class AccessTokenResolver {
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
