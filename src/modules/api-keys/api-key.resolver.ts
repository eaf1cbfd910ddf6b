import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Viewer } from '../viewer/viewer.type';
import { AddApiKeyInput, ApiKeyType } from './api-key.types';

@Resolver(() => Viewer)
export class ApiKeyResolver {
  @FieldResolver(() => [ApiKeyType], { description: "The viewer's provider keys, masked." })
  async apiKeys(@Root() viewer: Viewer, @Ctx() ctx: Context): Promise<ApiKeyType[]> {
    const { apiKeys } = await viewer.owned(ctx.services.viewerReads);
    return ctx.services.apiKeys.present(viewer.id, apiKeys);
  }

  @Authorized()
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

  @Authorized()
  @Mutation(() => ApiKeyType, { description: 'Removes one of the viewer keys.' })
  async removeApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ApiKeyType> {
    const { user } = await ctx.auth.require();
    return ctx.services.apiKeys.remove(user, id);
  }
}
