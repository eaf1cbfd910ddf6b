import { Authorized, Extensions } from 'type-graphql';
import type { TokenScope } from '../auth/scopes';

/**
 * The one way a root field (Query or Mutation) says who may call it; a test
 * fails for a root field that says neither (test/scopes.test.ts).
 *
 * `@RequiresScope(scope)`: a valid token with that scope. It is type-graphql's
 * `@Authorized(scope)`, checked by the one auth checker
 * (src/graphql/auth-checker.ts), and the same scope is written into the
 * field's `extensions.requiredScope`, where the REST face reads which scope
 * each path's operation needs (src/rest/compile.ts) and checks it before it
 * reads the request's input.
 */
export function RequiresScope(scope: TokenScope): MethodDecorator {
  const authorized = Authorized<TokenScope>(scope) as MethodDecorator;
  const extensions = Extensions({ requiredScope: scope }) as MethodDecorator;
  return (target, key, descriptor) => {
    authorized(target, key, descriptor);
    extensions(target, key, descriptor);
  };
}

/** `@Public()`: callable without a token (signing up, signing in). */
export function Public(): MethodDecorator {
  return Extensions({ public: true });
}

/** The scope a root field's extensions declare, if any. */
export function requiredScopeOf(extensions: Readonly<Record<string, unknown>> | null | undefined) {
  const scope = extensions?.['requiredScope'];
  return typeof scope === 'string' ? (scope as TokenScope) : undefined;
}
