import {
  interpretCommon,
  readErrorFields,
  UNEXPECTED,
  type FormatVerdict,
  type KeyCheckVerdict,
  type ProbeRequest,
  type ProviderAdapter,
} from './types';

/**
 * Gemini API (Google AI Studio). Two key types (ai.google.dev "Using Gemini
 * API keys"): standard keys `AIza…` (39 characters, `AIza[\w-]{35}`), being
 * retired (unrestricted ones rejected since 19 June 2026, all of them from
 * September 2026), and authorization keys `AQ.…`, which AI Studio issues by
 * default now. Both are accepted; the provider judges.
 *
 * Probe: GET {base}/models?pageSize=1 with `x-goog-api-key` — the header, not
 * `?key=`, so the key never sits in a URL (or a log line holding one).
 */
export const gemini: ProviderAdapter = {
  provider: 'gemini',
  defaultBaseUrl: 'https://generativelanguage.googleapis.com/v1beta',
  documentedPrefixes: ['AQ.', 'AIza'],
  distinctivePrefixes: ['AIza', 'AQ.'],

  classify(key: string): FormatVerdict {
    if (key.startsWith('AIza')) return { ok: true, kind: 'gemini_standard' };
    if (key.startsWith('AQ.')) return { ok: true, kind: 'gemini_auth' };
    return { ok: false, problem: 'UNRECOGNISED' };
  },

  probe(key: string): ProbeRequest {
    return { path: '/models', query: { pageSize: '1' }, headers: { 'x-goog-api-key': key } };
  },

  needsBody(status: number): boolean {
    return status === 400;
  },

  interpret(status: number, body: string | null): KeyCheckVerdict {
    const common = interpretCommon(status);
    if (common) return common;
    // A bad key is a 400 INVALID_ARGUMENT whose ErrorInfo reason is
    // API_KEY_INVALID; other 400s (FAILED_PRECONDITION: free tier not
    // available in this region) say nothing about the key.
    if (status === 400) {
      return readErrorFields(body).reasons.includes('API_KEY_INVALID')
        ? { status: 'invalid', reason: 'AUTHENTICATION_FAILED' }
        : UNEXPECTED;
    }
    if (status === 401) return { status: 'invalid', reason: 'AUTHENTICATION_FAILED' };
    if (status === 403) return { status: 'invalid', reason: 'PERMISSION_DENIED' };
    return UNEXPECTED;
  },
};
