import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Args, Ctx, Mutation, Resolver } from 'type-graphql';
import { Scope } from '../../auth/scopes';
import type { Context } from '../../graphql/context';
import { Public, RequiresScope } from '../../graphql/scopes';
import { Cost } from '../../graphql/demand-control';
import { ACCOUNT_DELETED, type AccountDeletionService } from './account-deletion.service';
import {
  ChangePasswordInput,
  CreateAccessTokenInput,
  DeleteAccountArgs,
  SignUpInput,
} from './account.inputs';
import { PASSWORD_CHANGED, type AccountService } from './account.service';
import type { ExportService } from './export.service';
import {
  AuthPayloadType,
  ChangePasswordPayloadType,
  DeleteAccountPayloadType,
} from './account.types';

declare module '../../graphql/context' {
  interface RequestServices {
    accounts: AccountService;
    exports: ExportService;
    deletion: AccountDeletionService;
  }
}

/**
 * Demand control (src/graphql/demand-control.ts): a password hash (scrypt,
 * ~65 ms of CPU and 16 MiB) costs what a hundred plain objects do; an export
 * or a deletion reads or writes everything the account has.
 */
const PASSWORD_HASH_COST = 100;
const WHOLE_ACCOUNT_COST = 50;

@Resolver()
export class AccountResolver {
  @Public()
  @Cost(PASSWORD_HASH_COST)
  @Mutation(() => AuthPayloadType, {
    description: 'Creates an account and its first access token.',
  })
  async signUp(
    @Arg('input', () => SignUpInput) input: SignUpInput,
    @Ctx() ctx: Context,
  ): Promise<AuthPayloadType> {
    return ctx.services.accounts.signUp(input);
  }

  @Public()
  @Cost(PASSWORD_HASH_COST)
  @Mutation(() => AuthPayloadType, {
    description: 'Signs in with email and password and issues a new Bearer token.',
  })
  async createAccessToken(
    @Arg('input', () => CreateAccessTokenInput) input: CreateAccessTokenInput,
    @Ctx() ctx: Context,
  ): Promise<AuthPayloadType> {
    return ctx.services.accounts.createAccessToken(input);
  }

  @RequiresScope(Scope.SENSITIVE)
  @Cost(PASSWORD_HASH_COST)
  @Mutation(() => ChangePasswordPayloadType, {
    description:
      'Changes the password. Existing access tokens stay valid unless revokeOtherTokens is true.',
  })
  async changePassword(
    @Arg('input', () => ChangePasswordInput) input: ChangePasswordInput,
    @Ctx() ctx: Context,
  ): Promise<ChangePasswordPayloadType> {
    const { user, tokenId } = await ctx.auth.require();
    await ctx.services.accounts.changePassword(user, input, tokenId);
    return { message: PASSWORD_CHANGED, user };
  }

  @RequiresScope(Scope.SENSITIVE)
  @Cost(WHOLE_ACCOUNT_COST)
  @Mutation(() => GraphQLJSONObject, {
    description:
      'Everything held about the viewer (GDPR export) as one JSON document with formatVersion and exportedAt. Provider keys are masked; no secret, hash or ciphertext is included.',
  })
  async exportData(@Ctx() ctx: Context): Promise<Record<string, unknown>> {
    const { user } = await ctx.auth.require();
    return ctx.services.exports.export(user.id);
  }

  @RequiresScope(Scope.SENSITIVE)
  @Cost(WHOLE_ACCOUNT_COST)
  @Mutation(() => DeleteAccountPayloadType, {
    description:
      'Permanently deletes the account and everything that belongs to it. confirmEmail must equal the account email (case and surrounding spaces ignored).',
  })
  async deleteAccount(
    @Args(() => DeleteAccountArgs) { confirmEmail }: DeleteAccountArgs,
    @Ctx() ctx: Context,
  ): Promise<DeleteAccountPayloadType> {
    const { user } = await ctx.auth.require();
    const deletedUserId = await ctx.services.deletion.delete(user, confirmEmail);
    return { deletedUserId, message: ACCOUNT_DELETED };
  }
}
