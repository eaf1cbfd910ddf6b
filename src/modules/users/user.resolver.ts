import type { Context } from '../../graphql/context';
import type { UserType } from './user.types';
import type { VisibleUsers } from './visible-users';

declare module '../../graphql/context' {
  interface RequestServices {
    /** Whom a viewer may see, and their public face (shared by the process). */
    visibleUsers: VisibleUsers;
  }
}

/**
 * `User`'s reference resolver: how another subgraph's `User { id }` becomes
 * this service's `User` (`_entities`). It is no way around authorization:
 *
 * - the viewer must be authenticated, decided first and apart from the id,
 *   so UNAUTHENTICATED is the same for every representation;
 * - the id goes, whatever it is (a string or not, an id of nobody), through
 *   the one statement that answers only users the viewer may see (themself,
 *   co-members of their organizations): null for everyone else, with no
 *   early return, no error and no other statement that would tell a
 *   stranger from nobody;
 * - the answer is a fresh object with the public fields only.
 */
export async function resolveUserReference(
  representation: Record<string, unknown>,
  ctx: Context,
): Promise<UserType | null> {
  const { profile } = await ctx.auth.require();
  const id = typeof representation['id'] === 'string' ? representation['id'] : '';
  return ctx.services.visibleUsers.read(profile.id, id);
}
