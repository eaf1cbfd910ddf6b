import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { Scope } from '../../auth/scopes';
import type { Context } from '../../graphql/context';
import { Public, RequiresScope } from '../../graphql/scopes';
import { ProfileType } from '../profile/profile.types';
import { RequestEmailChangeInput } from './account.inputs';
import { AuthPayloadType } from './account.types';
import type { EmailFlowsService } from './email-flows.service';

declare module '../../graphql/context' {
  interface RequestServices {
    emailFlows: EmailFlowsService;
  }
}

/** Verification, recovery and email change: the flows that go through a mailed link. */
@Resolver()
export class EmailFlowsResolver {
  @RequiresScope(Scope.ACCOUNT_WRITE)
  @Mutation(() => Boolean, {
    description:
      'Mails a new verification link to the viewer’s address (the previous link stops working). False when the address is already verified (nothing is sent).',
  })
  async requestEmailVerification(@Ctx() ctx: Context): Promise<boolean> {
    const { user } = await ctx.auth.require();
    return ctx.services.emailFlows.requestEmailVerification(user);
  }

  @Public()
  @Mutation(() => ProfileType, {
    description:
      'Marks the address verified with the code of a verification link (no Bearer token needed). A bad, expired, used or superseded code is BAD_USER_INPUT on `token` with extensions.reason TOKEN_INVALID, TOKEN_EXPIRED or TOKEN_USED.',
  })
  async verifyEmail(
    @Arg('token', () => String) token: string,
    @Ctx() ctx: Context,
  ): Promise<ProfileType> {
    return ctx.services.emailFlows.verifyEmail(token);
  }

  @Public()
  @Mutation(() => Boolean, {
    description:
      'Mails a password-reset link (valid 1 hour) if an account has this address. Always true, whether or not it has: nothing tells the two apart. Rate-limited per client address and per target address.',
  })
  async requestPasswordReset(
    @Arg('email', () => String) email: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    return ctx.services.emailFlows.requestPasswordReset(email);
  }

  @Public()
  @Mutation(() => AuthPayloadType, {
    description:
      'Sets a new password with the code of a reset link: every existing access token is revoked, the address counts as verified, and a fresh token is returned.',
  })
  async resetPassword(
    @Arg('token', () => String) token: string,
    @Arg('newPassword', () => String, {
      description: 'At least 8 characters, with an uppercase letter A-Z and a digit 0-9.',
    })
    newPassword: string,
    @Ctx() ctx: Context,
  ): Promise<AuthPayloadType> {
    return ctx.services.emailFlows.resetPassword(token, newPassword);
  }

  @RequiresScope(Scope.SENSITIVE)
  @Mutation(() => Boolean, {
    description:
      'Mails a confirmation link to the new address and a notice to the current one. Nothing changes until the link is used.',
  })
  async requestEmailChange(
    @Arg('input', () => RequestEmailChangeInput) input: RequestEmailChangeInput,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    const { user } = await ctx.auth.require();
    return ctx.services.emailFlows.requestEmailChange(user, input);
  }

  @Public()
  @Mutation(() => ProfileType, {
    description:
      'Switches the account to the address the confirmation link was sent to (no Bearer token needed), marks it verified and notifies the old address. A taken address is CONFLICT and nothing changes.',
  })
  async confirmEmailChange(
    @Arg('token', () => String) token: string,
    @Ctx() ctx: Context,
  ): Promise<ProfileType> {
    return ctx.services.emailFlows.confirmEmailChange(token);
  }
}
