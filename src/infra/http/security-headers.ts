import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * helmet's response headers for `options`, computed once. They are the same
 * for every request (no CSP nonces here), so running helmet's middleware
 * chain per request, as its Fastify plugin does, would only repeat this.
 */
export function securityHeaders(options: HelmetOptions): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  const outcome: { finished: boolean; error?: unknown } = { finished: false };
  helmet(options)(
    {} as IncomingMessage,
    recorder as unknown as ServerResponse,
    (error?: unknown) => {
      outcome.finished = true;
      outcome.error = error;
    },
  );
  // helmet's middlewares are synchronous; anything else would leave headers out.
  if (!outcome.finished || outcome.error !== undefined) {
    throw new Error('helmet could not compute its headers');
  }
  return Object.freeze(headers);
}
