import { E_TIMEOUT, Semaphore, withTimeout, type SemaphoreInterface } from 'async-mutex';

/**
 * Bounded outbound HTTP for calls to third-party APIs (today: checking a
 * user's AI-provider key). Node's built-in fetch (undici) rather than a
 * client library: it already gives redirect: 'manual', AbortSignal deadlines
 * and streamed bodies, which is all this needs. With:
 *
 * - one deadline for the whole exchange (connect, headers and any body read);
 * - no redirect ever followed: a 3xx comes back as a response to classify,
 *   so a credential never travels to a host it was not meant for;
 * - a body read only when the caller needs it, and then at most
 *   `maxBodyBytes`, after which the exchange is aborted;
 * - errors reduced to a kind and a system error code: undici's messages can
 *   quote header values (a credential), so none is kept.
 *
 * The caller owns the URL (from configuration, never from user input) and
 * the headers (the only place a credential may travel).
 */

export interface BoundedGetOptions {
  /** Request headers. Values must be valid header values (checked by the caller). */
  headers: Readonly<Record<string, string>>;
  /** Deadline for the whole exchange, in milliseconds. */
  timeoutMs: number;
  /** Most body bytes read, when the body is read at all. */
  maxBodyBytes: number;
  /** Whether the body of a response with this status is needed; others are discarded unread. */
  readBodyOf: (status: number) => boolean;
}

export type BoundedGetResult =
  | {
      kind: 'response';
      status: number;
      /** The first `maxBodyBytes` of the body as UTF-8 text, or null when not read. */
      body: string | null;
      /** True when the body was longer than `maxBodyBytes` and the rest was not read. */
      truncated: boolean;
    }
  | { kind: 'timeout' }
  /** Refused, reset, DNS or TLS failure…; `code` is a system code such as ECONNREFUSED. */
  | { kind: 'network'; code: string | null };

export async function boundedGet(url: URL, options: BoundedGetOptions): Promise<BoundedGetResult> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const stop = new AbortController();
  const signal = AbortSignal.any([deadline, stop.signal]);
  try {
    const response = await fetch(url, {
      method: 'GET',
      headers: options.headers,
      redirect: 'manual',
      signal,
    });
    const body = response.body;
    if (body === null || !options.readBodyOf(response.status)) {
      // Not needed: drop it unread (this also ends a body that never finishes).
      stop.abort();
      return { kind: 'response', status: response.status, body: null, truncated: false };
    }
    const read = await readAtMost(body, options.maxBodyBytes);
    if (read.truncated) stop.abort();
    return {
      kind: 'response',
      status: response.status,
      body: new TextDecoder().decode(read.bytes),
      truncated: read.truncated,
    };
  } catch (error) {
    if (deadline.aborted) return { kind: 'timeout' };
    return { kind: 'network', code: systemErrorCode(error) };
  }
}

async function readAtMost(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { bytes: concat(chunks, total), truncated: false };
      const room = maxBytes - total;
      if (value.byteLength > room) {
        chunks.push(value.subarray(0, room));
        return { bytes: concat(chunks, maxBytes), truncated: true };
      }
      chunks.push(value);
      total += value.byteLength;
    }
  } finally {
    reader.releaseLock();
  }
}

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** `ECONNREFUSED`, `ENOTFOUND`, `UND_ERR_SOCKET`…: a code, never a message. */
function systemErrorCode(error: unknown): string | null {
  for (let current: unknown = error, depth = 0; depth < 4; depth++) {
    if (typeof current !== 'object' || current === null) return null;
    if ('code' in current && typeof current.code === 'string') {
      return /^[A-Z][A-Z0-9_]{1,39}$/.test(current.code) ? current.code : null;
    }
    current = 'cause' in current ? current.cause : undefined;
  }
  return null;
}

export interface SlotOptions {
  /** Calls under way at once in this process. */
  maxConcurrent: number;
  /** How long a call may wait for a slot before it is given up. */
  maxWaitMs: number;
  /** Calls that may wait at once; past it a call is given up without waiting. */
  maxWaiting: number;
}

export type SlotResult<T> = { ran: true; value: T } | { ran: false };

/**
 * A per-process bound on concurrent outbound calls: a burst waits briefly for
 * a slot and is then given up (`ran: false`), so slow or unreachable third
 * parties can neither pile up sockets nor hold requests for long.
 */
export class OutboundSlots {
  private readonly semaphore: SemaphoreInterface;
  private readonly maxWaiting: number;
  private waiting = 0;

  constructor(options: SlotOptions) {
    this.semaphore = withTimeout(new Semaphore(options.maxConcurrent), options.maxWaitMs);
    this.maxWaiting = options.maxWaiting;
  }

  async run<T>(work: () => Promise<T>): Promise<SlotResult<T>> {
    // A free slot is taken synchronously by acquire(); only a call that
    // finds none counts as waiting.
    const mustWait = this.semaphore.isLocked();
    if (mustWait && this.waiting >= this.maxWaiting) return { ran: false };
    let release: () => void;
    if (mustWait) this.waiting++;
    try {
      [, release] = await this.semaphore.acquire();
    } catch (error) {
      if (error === E_TIMEOUT) return { ran: false };
      throw error;
    } finally {
      if (mustWait) this.waiting--;
    }
    try {
      return { ran: true, value: await work() };
    } finally {
      release();
    }
  }
}

/**
 * A provider API base URL from configuration (`PROVIDER_OPENAI_URL`…):
 * absolute, https (http only outside production, for tests against a local
 * fake), no credentials, query or fragment. Returned without a trailing slash.
 * The message never repeats the value, which may hold a credential by mistake.
 */
export function parseApiBaseUrl(
  variable: string,
  raw: string,
  options: { allowHttp: boolean },
): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new Error(`${variable} must be an absolute URL such as https://api.example.com/v1`);
  }
  if (url.protocol !== 'https:' && !(options.allowHttp && url.protocol === 'http:')) {
    throw new Error(
      options.allowHttp
        ? `${variable} must be an http:// or https:// URL`
        : `${variable} must be an https:// URL in production`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new Error(`${variable} must not carry credentials`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new Error(`${variable} must not have a query or fragment`);
  }
  return url.href.replace(/\/+$/, '');
}
