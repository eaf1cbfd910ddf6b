import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake of the three AI providers' list-models endpoints, for tests: one
 * HTTP server on a free loopback port that checks each provider's own
 * authentication header and answers as told, per key or per provider, and
 * records every request it receives.
 *
 *   const fake = await FakeProvider.start();
 *   env PROVIDER_OPENAI_URL = fake.baseUrl('openai')   // http://127.0.0.1:<port>/openai/v1
 *   fake.onKey(key, { kind: 'reject' });
 *   ...
 *   expect(fake.requests).toHaveLength(0);             // nothing reached it
 *   await fake.close();
 */

export type FakeProviderId = 'openai' | 'anthropic' | 'gemini';

export type FakeBehaviour =
  /** 200 with a one-model page in the provider's shape. */
  | { kind: 'accept' }
  /** The provider's own answer to a bad key: OpenAI 401, Anthropic 401, Gemini 400 API_KEY_INVALID. */
  | { kind: 'reject' }
  /** Any status and body (`body` JSON-encoded unless a string). */
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Headers never sent: the request hangs until the client gives up or the fake closes. */
  | { kind: 'hang' }
  /** Headers at once (200 unless told), then a body that never ends. */
  | { kind: 'stall-body'; status?: number }
  /** A redirect, e.g. to another host. */
  | { kind: 'redirect'; location: string; status?: 301 | 302 | 303 | 307 | 308 }
  /** `status` with a body of `bytes` bytes, streamed; `bytesSent` tells how much left. */
  | { kind: 'flood'; status: number; bytes: number; prefix?: string };

export interface ReceivedRequest {
  provider: FakeProviderId | null;
  method: string;
  /** Path without the query. */
  path: string;
  query: Record<string, string>;
  /** Which credential header carried a key, if any. */
  authHeader: 'authorization' | 'x-api-key' | 'x-goog-api-key' | null;
  /** The key as received (test keys only). */
  key: string | null;
  anthropicVersion: string | null;
  /** Every header name received, lower-case. */
  headerNames: string[];
}

const ROUTES: Readonly<Record<string, FakeProviderId>> = {
  '/openai/v1/models': 'openai',
  '/anthropic/v1/models': 'anthropic',
  '/gemini/v1beta/models': 'gemini',
};

const BASE_PATHS: Readonly<Record<FakeProviderId, string>> = {
  openai: '/openai/v1',
  anthropic: '/anthropic/v1',
  gemini: '/gemini/v1beta',
};

export class FakeProvider {
  readonly requests: ReceivedRequest[] = [];
  /** Requests being answered right now, and the most at once since the last reset. */
  inFlight = 0;
  maxInFlight = 0;
  /** Body bytes written by `flood` answers since the last reset. */
  bytesSent = 0;

  private readonly byKey = new Map<string, FakeBehaviour>();
  private readonly byProvider = new Map<FakeProviderId, FakeBehaviour>();
  private readonly server: http.Server;
  private origin = '';

  private constructor() {
    this.server = http.createServer((request, response) => this.handle(request, response));
  }

  static async start(): Promise<FakeProvider> {
    const fake = new FakeProvider();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.origin = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  /** `http://127.0.0.1:<port>`, e.g. for a redirect target. */
  get url(): string {
    return this.origin;
  }

  /** The API base to configure, version path included (PROVIDER_<NAME>_URL). */
  baseUrl(provider: FakeProviderId): string {
    return this.origin + BASE_PATHS[provider];
  }

  baseUrls(): Record<FakeProviderId, string> {
    return {
      openai: this.baseUrl('openai'),
      anthropic: this.baseUrl('anthropic'),
      gemini: this.baseUrl('gemini'),
    };
  }

  /** How to answer requests carrying this key (at whichever provider). */
  onKey(key: string, behaviour: FakeBehaviour): this {
    this.byKey.set(key, behaviour);
    return this;
  }

  /** How a provider answers keys without a rule of their own (default: accept). */
  setDefault(provider: FakeProviderId, behaviour: FakeBehaviour): this {
    this.byProvider.set(provider, behaviour);
    return this;
  }

  requestsFor(provider: FakeProviderId): ReceivedRequest[] {
    return this.requests.filter((r) => r.provider === provider);
  }

  /** Forgets rules, requests and counters. */
  reset(): void {
    this.byKey.clear();
    this.byProvider.clear();
    this.requests.length = 0;
    this.maxInFlight = this.inFlight;
    this.bytesSent = 0;
  }

  /** Stops listening and drops every connection, hanging ones included. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const url = new URL(request.url ?? '/', this.origin);
    const provider = ROUTES[url.pathname] ?? null;
    const received = this.record(request, url, provider);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    response.on('close', () => {
      this.inFlight--;
    });

    if (provider === null || request.method !== 'GET') {
      sendJson(response, 404, { error: { message: 'Not found' } });
      return;
    }
    if (received.key === null) {
      this.answer(response, provider, { kind: 'reject' });
      return;
    }
    if (provider === 'anthropic' && received.anthropicVersion === null) {
      sendJson(response, 400, {
        type: 'error',
        error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' },
      });
      return;
    }
    const behaviour = this.byKey.get(received.key) ??
      this.byProvider.get(provider) ?? { kind: 'accept' };
    this.answer(response, provider, behaviour, received.key);
  }

  private record(
    request: http.IncomingMessage,
    url: URL,
    provider: FakeProviderId | null,
  ): ReceivedRequest {
    const header = (name: string): string | null => {
      const value = request.headers[name];
      return typeof value === 'string' ? value : null;
    };
    let authHeader: ReceivedRequest['authHeader'] = null;
    let key: string | null = null;
    const authorization = header('authorization');
    const apiKey = header('x-api-key');
    const googKey = header('x-goog-api-key');
    // Each provider accepts only its own header, as the real APIs do.
    if (provider === 'openai' && authorization?.startsWith('Bearer ')) {
      authHeader = 'authorization';
      key = authorization.slice('Bearer '.length);
    } else if (provider === 'anthropic' && apiKey !== null) {
      authHeader = 'x-api-key';
      key = apiKey;
    } else if (provider === 'gemini' && googKey !== null) {
      authHeader = 'x-goog-api-key';
      key = googKey;
    }
    const received: ReceivedRequest = {
      provider,
      method: request.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authHeader,
      key,
      anthropicVersion: header('anthropic-version'),
      headerNames: Object.keys(request.headers),
    };
    this.requests.push(received);
    return received;
  }

  private answer(
    response: http.ServerResponse,
    provider: FakeProviderId,
    behaviour: FakeBehaviour,
    key: string | null = null,
  ): void {
    switch (behaviour.kind) {
      case 'accept':
        sendJson(response, 200, modelsPage(provider));
        return;
      case 'reject':
        sendJson(response, ...rejection(provider, key));
        return;
      case 'status':
        response.writeHead(behaviour.status, {
          'content-type': 'application/json',
          ...behaviour.headers,
        });
        response.end(
          typeof behaviour.body === 'string'
            ? behaviour.body
            : JSON.stringify(behaviour.body ?? {}),
        );
        return;
      case 'hang':
        return;
      case 'stall-body':
        response.writeHead(behaviour.status ?? 200, { 'content-type': 'application/json' });
        response.write('{"error": {');
        return;
      case 'redirect':
        response.writeHead(behaviour.status ?? 302, { location: behaviour.location });
        response.end();
        return;
      case 'flood':
        this.flood(response, behaviour.status, behaviour.bytes, behaviour.prefix ?? '');
        return;
    }
  }

  private flood(response: http.ServerResponse, status: number, bytes: number, prefix: string) {
    response.writeHead(status, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    let left = bytes;
    const head = Buffer.from(prefix);
    if (head.length > 0) {
      response.write(head);
      this.bytesSent += head.length;
      left -= head.length;
    }
    const pump = (): void => {
      while (left > 0 && !response.destroyed) {
        const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
        left -= part.length;
        this.bytesSent += part.length;
        if (!response.write(part)) {
          response.once('drain', pump);
          return;
        }
      }
      if (!response.destroyed) response.end();
    };
    pump();
  }
}

function sendJson(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function modelsPage(provider: FakeProviderId): unknown {
  switch (provider) {
    case 'openai':
      return {
        object: 'list',
        data: [{ id: 'gpt-fake', object: 'model', created: 1, owned_by: 'fake' }],
      };
    case 'anthropic':
      return {
        data: [
          {
            id: 'claude-fake',
            type: 'model',
            display_name: 'Fake',
            created_at: '2026-01-01T00:00:00Z',
          },
        ],
        first_id: 'claude-fake',
        last_id: 'claude-fake',
        has_more: true,
      };
    case 'gemini':
      return { models: [{ name: 'models/gemini-fake' }], nextPageToken: 'next' };
  }
}

/** Each provider's documented "bad key" answer; OpenAI's quotes part of the key, as the real one does. */
function rejection(provider: FakeProviderId, key: string | null): [number, unknown] {
  switch (provider) {
    case 'openai':
      return [
        401,
        {
          error: {
            message:
              key === null
                ? "You didn't provide an API key."
                : `Incorrect API key provided: ${key.slice(0, 8)}****${key.slice(-4)}.`,
            type: 'invalid_request_error',
            param: null,
            code: key === null ? null : 'invalid_api_key',
          },
        },
      ];
    case 'anthropic':
      return [
        401,
        { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } },
      ];
    case 'gemini':
      return [
        400,
        {
          error: {
            code: 400,
            message: 'API key not valid. Please pass a valid API key.',
            status: 'INVALID_ARGUMENT',
            details: [
              {
                '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
                reason: 'API_KEY_INVALID',
                domain: 'googleapis.com',
                metadata: { service: 'generativelanguage.googleapis.com' },
              },
            ],
          },
        },
      ];
  }
}
