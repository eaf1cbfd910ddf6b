/**
 * What an access token may do. A token carries a set of these (all, unless
 * its creator chose fewer); each GraphQL root field requires one
 * (`@Authorized(scope)`, checked by src/graphql/auth-checker.ts), and the
 * REST face requires those of the operation each path runs.
 */
export const TOKEN_SCOPES = [
  'ACCOUNT_READ',
  'ACCOUNT_WRITE',
  'API_KEYS_WRITE',
  'SENSITIVE',
] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** The scopes by name, for `@Authorized(Scope.ACCOUNT_READ)`. */
export const Scope: { readonly [K in TokenScope]: K } = {
  ACCOUNT_READ: 'ACCOUNT_READ',
  ACCOUNT_WRITE: 'ACCOUNT_WRITE',
  API_KEYS_WRITE: 'API_KEYS_WRITE',
  SENSITIVE: 'SENSITIVE',
};

export function isTokenScope(value: unknown): value is TokenScope {
  return typeof value === 'string' && (TOKEN_SCOPES as readonly string[]).includes(value);
}
