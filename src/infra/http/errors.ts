import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  Errors,
  extensionsOf,
  httpStatusOf,
  type ErrorCode,
  type ErrorReason,
  type PublicError,
} from '../../common/errors';

/** `{"error": {"code", "message", "field", "reason"}}`: the one error body of the REST face. */
export interface RestErrorBody {
  error: { code: ErrorCode; message: string; field?: string; reason?: ErrorReason };
}

export function restErrorBody(error: PublicError): RestErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.field === undefined ? {} : { field: error.field }),
      ...(error.reason === undefined ? {} : { reason: error.reason }),
    },
  };
}

/** Sends a public error in the format of the endpoint it answers for. */
export function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  error: PublicError,
  status = httpStatusOf(error.code),
): FastifyReply {
  if (error.retryAfter !== undefined) void reply.header('retry-after', String(error.retryAfter));
  const challenge = bearerChallenge(error, status);
  if (challenge) void reply.header('www-authenticate', challenge);
  void reply
    .code(status)
    .header('content-type', 'application/json; charset=utf-8')
    .header('cache-control', 'no-store');
  if (isGraphQLPath(request)) {
    return reply.send({ errors: [{ message: error.message, extensions: extensionsOf(error) }] });
  }
  return reply.send(restErrorBody(error));
}

/** RFC 6750's `WWW-Authenticate` for a refused token (section 3) or a missing scope (3.1). */
function bearerChallenge(error: PublicError, status: number): string | undefined {
  // (TOKEN_EXPIRED is also the reason of an expired link code: 400, no challenge.)
  if (status === 401 && error.reason === 'TOKEN_EXPIRED') {
    return 'Bearer error="invalid_token", error_description="The access token expired"';
  }
  if (status === 403 && error.requiredScope !== undefined) {
    return `Bearer error="insufficient_scope", scope="${error.requiredScope}"`;
  }
  if (status === 401) return 'Bearer realm="account-api"';
  return undefined;
}

function isGraphQLPath(request: FastifyRequest): boolean {
  return request.url === '/graphql' || request.url.startsWith('/graphql?');
}

/** A path pattern (`/api/user/api-keys/:keyId`) and the methods it serves. */
export interface KnownPath {
  /** One capture group per path parameter, in order. */
  pattern: RegExp;
  params: string[];
  methods: string[];
}

/** `methods`: every method the path answers, HEAD included where it is offered. */
export function knownPath(path: string, methods: string[]): KnownPath {
  const pattern = new RegExp(`^${path.replace(/:[^/]+/g, '([^/]+)')}/?$`);
  const params = [...path.matchAll(/:([^/]+)/g)].map((match) => match[1] ?? '');
  return { pattern, params, methods };
}

/**
 * Fastify's `frameworkErrors`: a path whose percent-escapes do not decode to
 * UTF-8 (`%FF`, or the bytes of a lone surrogate) is refused like any other
 * input, in the common format, naming the path parameter when it is one.
 */
export function badUrlHandler(paths: () => KnownPath[]) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
      void sendError(request, reply, Errors.pathTooLong(), 414);
      return;
    }
    if (error.code !== 'FST_ERR_BAD_URL') {
      void sendError(request, reply, clientError(error));
      return;
    }
    const path = request.url.split('?')[0] ?? '';
    let field: string | undefined;
    for (const known of paths()) {
      const match = known.pattern.exec(path);
      if (!match) continue;
      const at = match.slice(1).findIndex((segment) => !decodes(segment));
      field = known.params[at];
      break;
    }
    void sendError(request, reply, Errors.badPathEncoding(field));
  };
}

function decodes(segment: string): boolean {
  try {
    decodeURIComponent(segment);
    return true;
  } catch {
    return false;
  }
}

/**
 * Errors raised before a route runs (body parsing, size, content type) and
 * requests no route matches, answered in the same format as every other
 * error: 400, 413, 415, 404, or 405 with `Allow` for a known path.
 */
export function installErrorHandlers(server: FastifyInstance, paths: () => KnownPath[]): void {
  server.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: { name: error.name, code: error.code } }, 'request failed');
      return sendError(request, reply, Errors.internal());
    }
    return sendError(request, reply, clientError(error), status);
  });

  server.setNotFoundHandler((request, reply) => unrouted(paths(), request, reply));
}

/** No route for this method and path: 405 with `Allow` for a known path, else 404. */
export function unrouted(
  paths: readonly KnownPath[],
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const path = request.url.split('?')[0] ?? '';
  const known = paths.find((p) => p.pattern.test(path));
  if (known) {
    void reply.header('allow', known.methods.join(', '));
    return sendError(request, reply, Errors.methodNotAllowed(), 405);
  }
  return sendError(request, reply, Errors.noRoute());
}

/**
 * Node's `clientError`: a request its HTTP parser refused (headers too large,
 * a malformed request line) or one that arrived too slowly. Answered on the
 * socket in the common error format, echoing nothing, then closed.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, publicError] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, Errors.headersTooLarge()]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, Errors.requestTimeout()]
        : [400, Errors.malformedRequest()];
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(restErrorBody(publicError));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      'Cache-Control: no-store\r\n' +
      'X-Content-Type-Options: nosniff\r\n' +
      'Connection: close\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function clientError(error: FastifyError): PublicError {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return Errors.unsupportedContentType();
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return Errors.bodyTooLarge();
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return Errors.invalidJson();
    default:
      return Errors.malformedRequest();
  }
}
