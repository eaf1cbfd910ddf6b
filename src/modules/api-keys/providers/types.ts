import type { Provider } from '../api-key.entity';
import type { KeyCheckReason } from '../key-check';

/**
 * What a key's text alone says, before any network call. `ok: false` keys
 * are refused as BAD_USER_INPUT on `key` and never sent anywhere.
 */
export type FormatVerdict =
  | { ok: true; kind: KeyKind }
  /** Carries another supported provider's distinctive prefix (an `sk-ant-` key filed as openai). */
  | { ok: false; problem: 'WRONG_PROVIDER'; looksLike: Provider }
  /** A known prefix of a service this API does not take (e.g. OpenRouter's `sk-or-`). */
  | { ok: false; problem: 'FOREIGN_KEY' }
  /** An organisation admin key: it cannot call models, and is far more powerful than needed. */
  | { ok: false; problem: 'ADMIN_KEY' }
  /** None of the provider's documented prefixes. */
  | { ok: false; problem: 'UNRECOGNISED' }
  /** Outside 8-512 printable ASCII characters: it could not even travel in a header. */
  | { ok: false; problem: 'MALFORMED' };

export type FormatProblem = Extract<FormatVerdict, { ok: false }>['problem'];

/** Which of a provider's documented key types a key looks like (for display and warnings). */
export type KeyKind =
  | 'openai_project'
  | 'openai_service_account'
  | 'openai_user'
  | 'anthropic_api'
  | 'anthropic_other'
  | 'gemini_standard'
  | 'gemini_auth';

/** Why a provider refused a key: the key is stored nowhere (add) or marked `invalid` (re-check). */
export type RejectionReason = Extract<
  KeyCheckReason,
  'AUTHENTICATION_FAILED' | 'PERMISSION_DENIED' | 'WRONG_FORMAT'
>;

/** Why a key could not be checked: it is stored `unverified` and may be re-checked later. */
export type UnverifiedReason = Exclude<KeyCheckReason, RejectionReason>;

export type KeyCheckVerdict =
  | { status: 'valid' }
  | { status: 'invalid'; reason: RejectionReason }
  | { status: 'unverified'; reason: UnverifiedReason };

/** The one cheap authenticated request that proves a key works. */
export interface ProbeRequest {
  /** Appended to the configured base URL (which includes the version path). */
  path: string;
  query: Readonly<Record<string, string>>;
  /** The key travels here, in the provider's own authentication header, and nowhere else. */
  headers: Readonly<Record<string, string>>;
}

export interface ProviderAdapter {
  readonly provider: Provider;
  /** The API base used when no PROVIDER_<NAME>_URL is configured. */
  readonly defaultBaseUrl: string;
  /** Documented prefixes, longest first: shown in error messages. */
  readonly documentedPrefixes: readonly string[];
  /** Prefixes no other provider's keys start with: a key carrying one is this provider's. */
  readonly distinctivePrefixes: readonly string[];
  /**
   * The key's kind, or why it is refused. Called only for a key that is
   * printable ASCII and carries no other provider's distinctive prefix.
   */
  classify(key: string): FormatVerdict;
  probe(key: string): ProbeRequest;
  /** Whether `interpret` needs the (capped) body of a response with this status. */
  needsBody(status: number): boolean;
  interpret(status: number, body: string | null): KeyCheckVerdict;
}

/** The answers every provider gives alike; undefined for the ones each reads itself. */
export function interpretCommon(status: number): KeyCheckVerdict | undefined {
  if (status >= 200 && status < 300) return { status: 'valid' };
  if (status >= 300 && status < 400) return { status: 'unverified', reason: 'REDIRECT' };
  if (status === 429) return { status: 'unverified', reason: 'RATE_LIMITED' };
  if (status >= 500) return { status: 'unverified', reason: 'PROVIDER_ERROR' };
  return undefined;
}

export const UNEXPECTED: KeyCheckVerdict = { status: 'unverified', reason: 'UNEXPECTED_RESPONSE' };

/**
 * The fields providers put in a JSON error body, read defensively: OpenAI
 * `{error: {code, type, message}}`, Anthropic `{type: 'error', error: {type,
 * message}}`, Google `{error: {code, status, message, details: [{reason}]}}`.
 * Used only to classify; never logged or shown.
 */
export interface ErrorFields {
  code: string | null;
  type: string | null;
  status: string | null;
  message: string | null;
  reasons: string[];
}

export function readErrorFields(body: string | null): ErrorFields {
  const fields: ErrorFields = { code: null, type: null, status: null, message: null, reasons: [] };
  if (body === null) return fields;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return fields;
  }
  const error = property(parsed, 'error');
  fields.code = text(property(error, 'code'));
  fields.type = text(property(error, 'type'));
  fields.status = text(property(error, 'status'));
  fields.message = text(property(error, 'message'));
  const details = property(error, 'details');
  if (Array.isArray(details)) {
    for (const detail of details as unknown[]) {
      const reason = text(property(detail, 'reason'));
      if (reason !== null) fields.reasons.push(reason);
    }
  }
  return fields;
}

function property(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
