import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';

/**
 * Bytes as text, like `buffer.toString('utf8')`, except that bytes which are
 * not UTF-8 do not silently become U+FFFD: each one becomes the lone
 * surrogate U+DC80..U+DCFF (Python's "surrogateescape"). A JSON string
 * holding such bytes therefore reaches the input check
 * (src/graphql/storable-text.ts), which names its field, instead of being
 * stored altered.
 */
export function decodeUtf8(bytes: Buffer): string {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  let text = '';
  let at = 0;
  while (at < bytes.length) {
    const lead = bytes[at] ?? 0;
    const length = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : lead < 0xf8 ? 4 : 0;
    if (length > 0 && at + length <= bytes.length && isUtf8(bytes.subarray(at, at + length))) {
      text += bytes.toString('utf8', at, at + length);
      at += length;
    } else {
      text += String.fromCharCode(0xdc00 + lead);
      at += 1;
    }
  }
  return text;
}

/**
 * Fastify's own JSON body parser (with its prototype-poisoning refusal and
 * its errors for empty and malformed bodies), fed by `decodeUtf8` instead of
 * a decoder that replaces invalid bytes.
 */
export function registerJsonBodyParser(server: FastifyInstance): void {
  const parse = server.getDefaultJsonParser('error', 'error');
  server.removeContentTypeParser('application/json');
  server.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    // An empty body is no body, whatever the Content-Type says: each route
    // then decides (a body-less path is content, a required field is missing).
    if (bytes.length === 0) {
      done(null, undefined);
      return;
    }
    void parse(request, decodeUtf8(bytes), done);
  });
}
