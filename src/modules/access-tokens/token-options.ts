import { AppError, Errors } from '../../common/errors';
import { TOKEN_SCOPES, type TokenScope } from '../../auth/scopes';

/** How long a new token lives, as clients choose it. */
export const TOKEN_EXPIRY_PRESETS = ['DAYS_7', 'DAYS_30', 'DAYS_90', 'DAYS_365', 'NEVER'] as const;
export type TokenExpiryPreset = (typeof TOKEN_EXPIRY_PRESETS)[number];

const DAYS: Readonly<Record<TokenExpiryPreset, number | null>> = {
  DAYS_7: 7,
  DAYS_30: 30,
  DAYS_90: 90,
  DAYS_365: 365,
  NEVER: null,
};

const DAY_MS = 24 * 60 * 60 * 1000;

/** What a new token is made with. */
export interface TokenOptions {
  expiresAt: Date | null;
  scopes: TokenScope[];
}

/**
 * A new token's expiry and scopes from what the client asked for. Without a
 * preset a token never expires, unless the server caps lifetimes
 * (`maxDays`, ACCESS_TOKEN_MAX_DAYS): then it lives that long, a longer
 * preset is capped to it, and `NEVER` asked for explicitly is refused.
 * Without scopes a token has all of them.
 */
export function tokenOptions(
  requested: { expiresIn?: TokenExpiryPreset | null; scopes?: readonly TokenScope[] | null },
  maxDays: number | undefined,
  now = new Date(),
): TokenOptions {
  const preset = requested.expiresIn ?? undefined;
  let days = preset === undefined ? null : DAYS[preset];
  if (maxDays !== undefined) {
    if (preset === 'NEVER') throw new AppError(Errors.expiryNotAllowed(maxDays));
    days = days === null ? maxDays : Math.min(days, maxDays);
  }
  const scopes = requested.scopes ?? TOKEN_SCOPES;
  return {
    expiresAt: days === null ? null : new Date(now.getTime() + days * DAY_MS),
    // In the catalogue's order, each once.
    scopes: TOKEN_SCOPES.filter((scope) => scopes.includes(scope)),
  };
}
