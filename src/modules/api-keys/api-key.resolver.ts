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
    description: 'Adds a provider key; one for a provider that has one replaces it atomically.',
  })
  async addApiKey(
    @Arg('input', () => AddApiKeyInput) input: AddApiKeyInput,
    @Ctx() ctx: Context,
  ): Promise<ApiKeyType> {
    const { user } = await ctx.auth.require();
    return ctx.services.apiKeys.add(user, input);
  }

  @RequiresScope(Scope.API_KEYS_WRITE)
  @Mutation(() => ApiKeyType, { description: 'Removes one of the viewer keys.' })
  async removeApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ApiKeyType> {
    const { user } = await ctx.auth.require();
    return ctx.services.apiKeys.remove(user, id);
  }
}
