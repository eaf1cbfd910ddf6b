import { Errors, type PublicError } from '../../../common/errors';
import { boundedGet, OutboundSlots } from '../../../infra/http-client';
import { PROVIDERS, type Provider } from '../api-key.entity';
import { anthropic } from './anthropic';
import { gemini } from './gemini';
import { openai } from './openai';
import type { FormatVerdict, KeyCheckVerdict, ProviderAdapter } from './types';

export type {
  FormatProblem,
  FormatVerdict,
  KeyCheckVerdict,
  KeyKind,
  RejectionReason,
  UnverifiedReason,
} from './types';
export { KEY_CHECK_REASONS, type KeyCheckReason } from '../key-check';

export const ADAPTERS: Readonly<Record<Provider, ProviderAdapter>> = { openai, anthropic, gemini };

/** What the input validation already allows; checked again here because the key becomes a header value. */
const PRINTABLE_KEY = /^[\x21-\x7e]{8,512}$/;

/**
 * Format rules, before any network call: a key carrying another provider's
 * distinctive prefix is refused as that provider's (so it is never sent to
 * the wrong one), then the provider's own rules apply. The rules are
 * prefix-based on purpose: key bodies change (Gemini moved from `AIza` to
 * `AQ.` keys in 2026) and the legacy example `sk-proj-abc123...` must reach
 * the provider to be judged.
 */
export function checkKeyFormat(provider: Provider, key: string): FormatVerdict {
  if (!PRINTABLE_KEY.test(key)) return { ok: false, problem: 'MALFORMED' };
  for (const other of PROVIDERS) {
    if (other === provider) continue;
    if (ADAPTERS[other].distinctivePrefixes.some((prefix) => key.startsWith(prefix))) {
      return { ok: false, problem: 'WRONG_PROVIDER', looksLike: other };
    }
  }
  return ADAPTERS[provider].classify(key);
}

const PROVIDER_NAMES: Readonly<Record<Provider, string>> = {
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  gemini: 'Gemini',
};

/** The BAD_USER_INPUT on `key` for a refused format; it never quotes the key. */
export function formatProblemError(
  provider: Provider,
  verdict: Extract<FormatVerdict, { ok: false }>,
): PublicError {
  const name = PROVIDER_NAMES[provider];
  const expected = ADAPTERS[provider].documentedPrefixes.map((p) => `"${p}"`).join(', ');
  switch (verdict.problem) {
    case 'WRONG_PROVIDER':
      return Errors.providerKeyOfAnotherProvider(
        name,
        PROVIDER_NAMES[verdict.looksLike],
        verdict.looksLike,
      );
    case 'FOREIGN_KEY':
      return Errors.providerKeyOfAnotherService(name, expected);
    case 'ADMIN_KEY':
      return Errors.providerAdminKey(name);
    case 'UNRECOGNISED':
      return Errors.providerKeyUnrecognised(name, expected);
    case 'MALFORMED':
      return Errors.providerKeyMalformed();
  }
}

/** BAD_USER_INPUT on `key`, reason PROVIDER_REJECTED_KEY: the provider refused the key. */
export function rejectedKeyError(
  provider: Provider,
  verdict: Extract<KeyCheckVerdict, { status: 'invalid' }>,
): PublicError {
  return Errors.providerRejectedKey(
    PROVIDER_NAMES[provider],
    verdict.reason === 'PERMISSION_DENIED' ? 'permission' : 'authentication',
  );
}

export interface ProviderKeyCheckConfig {
  /** VALIDATE_PROVIDER_KEYS: false stores every key `unverified` without a network call. */
  enabled: boolean;
  /** PROVIDER_<NAME>_URL where configured; the others use the adapter's real API. */
  baseUrls: Readonly<Partial<Record<Provider, string>>>;
  /** Deadline of one check. */
  timeoutMs: number;
  /** Most response-body bytes read (error bodies only). */
  maxBodyBytes: number;
  /** Checks under way at once in this process. */
  maxConcurrent: number;
  /** How long a check waits for a slot before the key is stored `unverified`. */
  maxWaitMs: number;
  /** Checks that may wait at once; more are `unverified` at once. */
  maxWaiting: number;
}

export const KEY_CHECK_DEFAULTS = {
  maxBodyBytes: 4_096,
  maxWaitMs: 1_000,
  maxWaiting: 64,
} as const;

/**
 * A check's verdict and what may be logged about it: nothing of the key, the
 * URL's query or the provider's body.
 */
export type KeyCheckOutcome = KeyCheckVerdict & {
  /** The provider's HTTP status, when it answered. */
  httpStatus: number | null;
  /** System error code of a network failure (ECONNREFUSED…). */
  errorCode: string | null;
  durationMs: number;
};

/**
 * Checks a key against its provider with one cheap authenticated request.
 * Never throws for anything the provider or the network does: every failure
 * is a verdict. The caller checks the format first (`checkKeyFormat`) to
 * refuse a bad one as BAD_USER_INPUT; a stored key that fails it here is
 * `invalid`/`WRONG_FORMAT` and is sent nowhere. One per process: its slots
 * bound the checks under way in this process.
 */
export class ProviderKeyChecker {
  private readonly slots: OutboundSlots;
  private readonly baseUrls: Readonly<Record<Provider, string>>;

  constructor(private readonly config: ProviderKeyCheckConfig) {
    this.slots = new OutboundSlots(config);
    this.baseUrls = {
      openai: config.baseUrls.openai ?? openai.defaultBaseUrl,
      anthropic: config.baseUrls.anthropic ?? anthropic.defaultBaseUrl,
      gemini: config.baseUrls.gemini ?? gemini.defaultBaseUrl,
    };
  }

  get enabled(): boolean {
    return this.config.enabled;
  }

  async check(provider: Provider, key: string): Promise<KeyCheckOutcome> {
    const started = performance.now();
    const detail = { httpStatus: null as number | null, errorCode: null as string | null };
    const verdict = await this.decide(provider, key, detail);
    return { ...verdict, ...detail, durationMs: Math.round(performance.now() - started) };
  }

  private async decide(
    provider: Provider,
    key: string,
    detail: { httpStatus: number | null; errorCode: string | null },
  ): Promise<KeyCheckVerdict> {
    if (!checkKeyFormat(provider, key).ok) return { status: 'invalid', reason: 'WRONG_FORMAT' };
    if (!this.config.enabled) return { status: 'unverified', reason: 'VALIDATION_DISABLED' };

    const adapter = ADAPTERS[provider];
    const probe = adapter.probe(key);
    const url = new URL(this.baseUrls[provider] + probe.path);
    for (const [name, value] of Object.entries(probe.query)) url.searchParams.set(name, value);

    const outcome = await this.slots.run(() =>
      boundedGet(url, {
        headers: { accept: 'application/json', ...probe.headers },
        timeoutMs: this.config.timeoutMs,
        maxBodyBytes: this.config.maxBodyBytes,
        readBodyOf: (status) => adapter.needsBody(status),
      }),
    );
    if (!outcome.ran) return { status: 'unverified', reason: 'BUSY' };
    const result = outcome.value;
    switch (result.kind) {
      case 'timeout':
        return { status: 'unverified', reason: 'TIMEOUT' };
      case 'network':
        detail.errorCode = result.code;
        return { status: 'unverified', reason: 'NETWORK_ERROR' };
      case 'response':
        detail.httpStatus = result.status;
        return adapter.interpret(result.status, result.body);
    }
  }
}
