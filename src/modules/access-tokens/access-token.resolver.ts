import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { Scope } from '../../auth/scopes';
import type { Context } from '../../graphql/context';
import { RequiresScope } from '../../graphql/scopes';
import type { AccessTokenService } from './access-token.service';
import { AccessTokenType, RevokeTokensPayloadType } from './access-token.types';

declare module '../../graphql/context' {
  interface RequestServices {
    tokens: AccessTokenService;
  }
}

@Resolver(() => AccessTokenType)
export class AccessTokenResolver {
  @RequiresScope(Scope.SENSITIVE)
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

  @RequiresScope(Scope.SENSITIVE)
  @Mutation(() => RevokeTokensPayloadType, {
    description:
      'Signs out everywhere else: revokes every active token of the viewer but the one making this request, at once, on every instance.',
  })
  async revokeOtherAccessTokens(@Ctx() ctx: Context): Promise<RevokeTokensPayloadType> {
    const { user, tokenId } = await ctx.auth.require();
    return { revokedCount: await ctx.services.tokens.revokeOthers(user, tokenId) };
  }

  @FieldResolver(() => Boolean, {
    description: 'Whether this is the token the request is made with.',
  })
  async current(@Root() token: AccessTokenType, @Ctx() ctx: Context): Promise<boolean> {
    return (await ctx.auth.current())?.tokenId === token.id;
  }
}
