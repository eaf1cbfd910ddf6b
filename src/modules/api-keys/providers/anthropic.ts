import {
  interpretCommon,
  UNEXPECTED,
  type FormatVerdict,
  type KeyCheckVerdict,
  type ProbeRequest,
  type ProviderAdapter,
} from './types';

/** The API version the probe asks for; the SDKs send the same. */
export const ANTHROPIC_VERSION = '2023-06-01';

/**
 * Anthropic. API keys start `sk-ant-api03-` (108 characters: 93 of
 * [A-Za-z0-9_-] then `AA`, per gitleaks' rule); Admin API keys
 * `sk-ant-admin01-` only reach the Admin API and are refused. Other `sk-ant-`
 * forms are left to the provider to judge.
 *
 * Probe: GET {base}/models?limit=1 with `x-api-key` and `anthropic-version`
 * (docs: "All requests to the Anthropic API must include an x-api-key header").
 */
export const anthropic: ProviderAdapter = {
  provider: 'anthropic',
  defaultBaseUrl: 'https://api.anthropic.com/v1',
  documentedPrefixes: ['sk-ant-api03-'],
  distinctivePrefixes: ['sk-ant-'],

  classify(key: string): FormatVerdict {
    if (key.startsWith('sk-ant-admin')) return { ok: false, problem: 'ADMIN_KEY' };
    if (key.startsWith('sk-ant-api03-')) return { ok: true, kind: 'anthropic_api' };
    if (key.startsWith('sk-ant-')) return { ok: true, kind: 'anthropic_other' };
    return { ok: false, problem: 'UNRECOGNISED' };
  },

  probe(key: string): ProbeRequest {
    return {
      path: '/models',
      query: { limit: '1' },
      headers: { 'x-api-key': key, 'anthropic-version': ANTHROPIC_VERSION },
    };
  },

  needsBody(): boolean {
    return false;
  },

  interpret(status: number): KeyCheckVerdict {
    const common = interpretCommon(status);
    if (common) return common;
    // authentication_error / permission_error (docs.claude.com/en/api/errors).
    if (status === 401) return { status: 'invalid', reason: 'AUTHENTICATION_FAILED' };
    if (status === 403) return { status: 'invalid', reason: 'PERMISSION_DENIED' };
    return UNEXPECTED;
  },
};
