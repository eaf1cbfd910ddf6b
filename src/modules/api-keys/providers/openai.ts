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
 * OpenAI. Keys are Bearer tokens starting `sk-`: project keys `sk-proj-`,
 * service-account keys `sk-svcacct-`, legacy user keys `sk-` (openai-node's
 * api_reference, gitleaks' openai rule). Admin keys `sk-admin-` cannot call
 * non-administration endpoints, so they are refused.
 *
 * Probe: GET {base}/models with `Authorization: Bearer <key>` (the API has no
 * page-size parameter here; the body of a 2xx is not read at all).
 */
export const openai: ProviderAdapter = {
  provider: 'openai',
  defaultBaseUrl: 'https://api.openai.com/v1',
  documentedPrefixes: ['sk-proj-', 'sk-svcacct-', 'sk-'],
  distinctivePrefixes: ['sk-proj-', 'sk-svcacct-', 'sk-admin-'],

  classify(key: string): FormatVerdict {
    if (key.startsWith('sk-admin-')) return { ok: false, problem: 'ADMIN_KEY' };
    // OpenRouter keys look like OpenAI's and are a common mix-up.
    if (key.startsWith('sk-or-')) return { ok: false, problem: 'FOREIGN_KEY' };
    if (key.startsWith('sk-proj-')) return { ok: true, kind: 'openai_project' };
    if (key.startsWith('sk-svcacct-')) return { ok: true, kind: 'openai_service_account' };
    if (key.startsWith('sk-')) return { ok: true, kind: 'openai_user' };
    return { ok: false, problem: 'UNRECOGNISED' };
  },

  probe(key: string): ProbeRequest {
    return { path: '/models', query: {}, headers: { authorization: `Bearer ${key}` } };
  },

  needsBody(status: number): boolean {
    return status === 401 || status === 403;
  },

  interpret(status: number, body: string | null): KeyCheckVerdict {
    const common = interpretCommon(status);
    if (common) return common;
    if (status === 401) {
      // A restricted key without the models scope authenticates but may not
      // list models ("You have insufficient permissions for this operation.
      // Missing scopes: api.model.read…"): it may still work for inference.
      const { message } = readErrorFields(body);
      if (message !== null && /missing scopes|insufficient permissions/i.test(message)) {
        return { status: 'unverified', reason: 'RESTRICTED_KEY' };
      }
      return { status: 'invalid', reason: 'AUTHENTICATION_FAILED' };
    }
    if (status === 403) {
      // OpenAI refuses requests from unsupported countries whatever the key.
      if (readErrorFields(body).code === 'unsupported_country_region_territory') {
        return { status: 'unverified', reason: 'PROVIDER_REFUSED_REGION' };
      }
      return { status: 'invalid', reason: 'PERMISSION_DENIED' };
    }
    return UNEXPECTED;
  },
};
