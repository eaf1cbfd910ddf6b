import type { AuthChecker } from 'type-graphql';
import type { Context } from './context';

/** `@Authorized()` fields need a valid Bearer token; it throws UNAUTHENTICATED otherwise. */
export const authChecker: AuthChecker<Context> = async ({ context }) => {
  await context.auth.require();
  return true;
};
