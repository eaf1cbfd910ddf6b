import type { AuthChecker } from 'type-graphql';
import { AppError, Errors } from '../common/errors';
import { TOKEN_SCOPES, type TokenScope } from '../auth/scopes';
import type { Context } from './context';

/**
 * The one check behind every `@Authorized(scope)` (`@RequiresScope`, in
 * src/graphql/scopes.ts): a valid token (UNAUTHENTICATED otherwise, with
 * `reason: TOKEN_EXPIRED` for an expired one) that holds the scopes asked
 * for (FORBIDDEN with `requiredScope` otherwise). A field that names no
 * scope needs them all: an undeclared field fails closed.
 */
export const authChecker: AuthChecker<Context, TokenScope> = async ({ context }, roles) => {
  const session = await context.auth.require();
  const required = roles.length > 0 ? roles : TOKEN_SCOPES;
  const missing = required.find((scope) => !session.allows(scope));
  if (missing) throw new AppError(Errors.insufficientScope(missing));
  return true;
};
