import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { Scope } from '../../auth/scopes';
import type { Context } from '../../graphql/context';
import { RequiresScope } from '../../graphql/scopes';
import type { ApiKeyService } from './api-key.service';
import { AddApiKeyInput } from './api-key.inputs';
import { ApiKeyType } from './api-key.types';

declare module '../../graphql/context' {
  interface RequestServices {
    apiKeys: ApiKeyService;
  }
}

@Resolver()
export class ApiKeyResolver {
  @RequiresScope(Scope.API_KEYS_WRITE)
  @Mutation(() => ApiKeyType, {
    description:
      'Adds a provider key; one for a provider that has one replaces it atomically. ' +
      "The key must look like its provider's, and is checked against the provider (a few seconds at most): " +
      'a key it refuses is BAD_USER_INPUT with `extensions.reason: PROVIDER_REJECTED_KEY` and is not stored; ' +
      'a provider that does not answer stores it `unverified`.',
  })
  async addApiKey(
    @Arg('input', () => AddApiKeyInput) input: AddApiKeyInput,
    @Ctx() ctx: Context,
  ): Promise<ApiKeyType> {
    const { user } = await ctx.auth.require();
    return ctx.services.apiKeys.add(user, input);
  }

  @RequiresScope(Scope.API_KEYS_WRITE)
  @Mutation(() => ApiKeyType, {
    description:
      'Checks one of the viewer keys against its provider again and records the result in `status`. ' +
      'Limited per account; SERVICE_UNAVAILABLE when too many checks are under way.',
  })
  async validateApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ApiKeyType> {
    const { user } = await ctx.auth.require();
    return ctx.services.apiKeys.validate(user, id);
  }

  @RequiresScope(Scope.API_KEYS_WRITE)
  @Mutation(() => ApiKeyType, { description: 'Removes one of the viewer keys.' })
  async removeApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ApiKeyType> {
    const { user } = await ctx.auth.require();
    return ctx.services.apiKeys.remove(user, id);
  }
}
