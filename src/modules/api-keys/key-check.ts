/**
 * What a check of a provider key concluded, as stored in `api_keys`
 * (`check_status`, `status_reason`) and shown on `ApiKey`. The provider
 * adapters (./providers) decide; this file only names the outcomes, so that
 * the entity and the adapters share them without importing each other.
 */

/** `valid`: the provider accepted it; `invalid`: it refused it; `unverified`: no answer either way. */
export const KEY_CHECK_STATUSES = ['valid', 'invalid', 'unverified'] as const;
export type KeyCheckStatus = (typeof KEY_CHECK_STATUSES)[number];

/**
 * Every reason a check can give, as stored in `api_keys.status_reason` and
 * shown as `ApiKey.statusReason`.
 */
export const KEY_CHECK_REASONS = [
  // invalid: the provider refused the key (add: refused, stored nowhere)
  /** 401, or Gemini's 400 with reason API_KEY_INVALID. */
  'AUTHENTICATION_FAILED',
  /** 403: the key exists but may not list models (blocked, restricted to other APIs, project denied). */
  'PERMISSION_DENIED',
  /** A stored key that no longer passes the format rules: never sent anywhere. */
  'WRONG_FORMAT',
  // unverified: the key could not be checked; it may be re-checked later
  'VALIDATION_DISABLED',
  /** Too many checks under way in this process. */
  'BUSY',
  'TIMEOUT',
  'NETWORK_ERROR',
  /** A 3xx: never followed. */
  'REDIRECT',
  'RATE_LIMITED',
  /** 5xx (Anthropic's 529 included). */
  'PROVIDER_ERROR',
  /** OpenAI: the key authenticated but lacks the scope to list models (a restricted key). */
  'RESTRICTED_KEY',
  /** OpenAI 403 unsupported_country_region_territory: about this server's location, not the key. */
  'PROVIDER_REFUSED_REGION',
  /** Any other answer (404 from a misconfigured base URL, Gemini FAILED_PRECONDITION…). */
  'UNEXPECTED_RESPONSE',
] as const;
export type KeyCheckReason = (typeof KEY_CHECK_REASONS)[number];
