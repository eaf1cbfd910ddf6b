import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  Errors,
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
  if (status === 401) void reply.header('www-authenticate', 'Bearer realm="account-api"');
  void reply.code(status).header('content-type', 'application/json; charset=utf-8');
  if (isGraphQLPath(request)) {
    return reply.send({
      errors: [
        {
          message: error.message,
          extensions: {
            code: error.code,
            ...(error.field ? { field: error.field } : {}),
            ...(error.reason ? { reason: error.reason } : {}),
          },
        },
      ],
    });
  }
  return reply.send(restErrorBody(error));
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

export function knownPath(path: string, methods: string[]): KnownPath {
  const pattern = new RegExp(`^${path.replace(/:[^/]+/g, '([^/]+)')}/?$`);
  const params = [...path.matchAll(/:([^/]+)/g)].map((match) => match[1] ?? '');
  return { pattern, params, methods: methods.includes('GET') ? [...methods, 'HEAD'] : methods };
}

/**
 * Fastify's `frameworkErrors`: a path whose percent-escapes do not decode to
 * UTF-8 (`%FF`, or the bytes of a lone surrogate) is refused like any other
 * input, in the common format, naming the path parameter when it is one.
 */
export function badUrlHandler(paths: () => KnownPath[]) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
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

  server.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const known = paths().find((p) => p.pattern.test(path));
    if (known) {
      void reply.header('allow', known.methods.join(', '));
      return sendError(request, reply, Errors.methodNotAllowed(request.method, path), 405);
    }
    return sendError(request, reply, Errors.noRoute(path));
  });
}

function clientError(error: FastifyError): PublicError {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return Errors.unsupportedContentType();
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return Errors.bodyTooLarge();
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return Errors.emptyJsonBody();
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return Errors.invalidJson();
    default:
      return Errors.malformedRequest();
  }
}
