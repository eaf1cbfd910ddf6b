import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Viewer } from '../viewer/viewer.type';
import { PASSWORD_CHANGED, type IssuedToken } from './account.service';
import { ChangePasswordInput, CreateAccessTokenInput, SignUpInput } from './auth.inputs';
import { AccessTokenInfo, AuthPayload, ChangePasswordPayload } from './auth.types';

const toPayload = ({ token, accessToken, user }: IssuedToken): AuthPayload => ({
  token,
  accessToken,
  viewer: Viewer.of(user),
});

@Resolver(() => Viewer)
export class AuthResolver {
  @FieldResolver(() => [AccessTokenInfo], {
    description: "The viewer's active access tokens (metadata only), oldest first.",
  })
  async accessTokens(@Root() viewer: Viewer, @Ctx() ctx: Context): Promise<AccessTokenInfo[]> {
    return (await viewer.owned(ctx.services.viewerReads)).accessTokens;
  }

  @Mutation(() => AuthPayload, {
    description: 'Creates an account and its first access token.',
  })
  async signUp(
    @Arg('input', () => SignUpInput) input: SignUpInput,
    @Ctx() ctx: Context,
  ): Promise<AuthPayload> {
    return toPayload(await ctx.services.accounts.signUp(input));
  }

  @Mutation(() => AuthPayload, {
    description: 'Signs in with email and password and issues a new Bearer token.',
  })
  async createAccessToken(
    @Arg('input', () => CreateAccessTokenInput) input: CreateAccessTokenInput,
    @Ctx() ctx: Context,
  ): Promise<AuthPayload> {
    return toPayload(await ctx.services.accounts.createAccessToken(input));
  }

  @Authorized()
  @Mutation(() => AccessTokenInfo, {
    description: 'Revokes one of the viewer tokens; it stops working at once.',
  })
  async revokeAccessToken(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: Context,
  ): Promise<AccessTokenInfo> {
    const { user } = await ctx.auth.require();
    return ctx.services.tokens.revoke(user, id);
  }

  @Authorized()
  @Mutation(() => ChangePasswordPayload, {
    description: 'Changes the password. Existing access tokens stay valid.',
  })
  async changePassword(
    @Arg('input', () => ChangePasswordInput) input: ChangePasswordInput,
    @Ctx() ctx: Context,
  ): Promise<ChangePasswordPayload> {
    const { user } = await ctx.auth.require();
    await ctx.services.accounts.changePassword(user, input);
    return { message: PASSWORD_CHANGED, viewer: Viewer.of(user) };
  }
}
