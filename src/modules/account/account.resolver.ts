import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Authorized, Ctx, Field, ID, Mutation, ObjectType, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { ACCOUNT_DELETED } from './account-deletion.service';

@ObjectType()
export class DeleteAccountPayload {
  @Field(() => ID)
  deletedUserId!: string;

  @Field(() => String)
  message!: string;
}

@Resolver()
export class AccountResolver {
  @Authorized()
  @Mutation(() => GraphQLJSONObject, {
    description:
      'Everything held about the viewer (GDPR export) as one JSON document with formatVersion and exportedAt. Provider keys are masked; no secret, hash or ciphertext is included.',
  })
  async exportData(@Ctx() ctx: Context): Promise<Record<string, unknown>> {
    const { user } = await ctx.auth.require();
    return ctx.services.exports.export(user.id);
  }

  @Authorized()
  @Mutation(() => DeleteAccountPayload, {
    description:
      'Permanently deletes the account and everything that belongs to it. confirmEmail must equal the account email (case and surrounding spaces ignored).',
  })
  async deleteAccount(
    @Arg('confirmEmail', () => String) confirmEmail: string,
    @Ctx() ctx: Context,
  ): Promise<DeleteAccountPayload> {
    const { user } = await ctx.auth.require();
    const deletedUserId = await ctx.services.deletion.delete(user, confirmEmail);
    return { deletedUserId, message: ACCOUNT_DELETED };
  }
}
