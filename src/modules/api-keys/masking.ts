import type { Provider } from './api-key.entity';

/** Public, fixed prefixes of each provider's key formats, longest first. */
const KNOWN_PREFIXES: Readonly<Record<Provider, readonly string[]>> = {
  openai: ['sk-svcacct-', 'sk-admin-', 'sk-proj-', 'sk-'],
  anthropic: ['sk-ant-admin01-', 'sk-ant-api03-', 'sk-ant-'],
  gemini: ['AIza', 'AQ.'],
};

/** Below this many secret characters, even the last four are not shown. */
const MIN_SECRET_FOR_SUFFIX = 8;

/**
 * `sk-proj-…c123`: the provider's public prefix and the last 4 characters,
 * enough to recognise a key, never enough to use it.
 */
export function maskKey(provider: Provider, key: string): string {
  const prefix = KNOWN_PREFIXES[provider].find((p) => key.startsWith(p)) ?? '';
  const secret = key.slice(prefix.length);
  const suffix = secret.length >= MIN_SECRET_FOR_SUFFIX ? secret.slice(-4) : '';
  return `${prefix}…${suffix}`;
}
