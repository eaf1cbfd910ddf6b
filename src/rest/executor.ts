import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { execute, type GraphQLSchema } from 'graphql';
import { AppError, Errors, type PublicError } from '../common/errors';
import { isoSecondsOf } from '../common/time';
import type { Context, Download } from '../graphql/context';
import { isInternal, toPublicError } from '../graphql/errors';
import { sendError } from '../infra/http/errors';
import { describeForLog } from '../infra/logger';
import { InputSchemas } from '../graphql/input-schema';
import { compileRoute, type AnswerSchemas, type CompiledRoute } from './compile';
import { ROUTES } from './routes';

/**
 * The one generic REST handler: request -> variables -> the route's GraphQL
 * operation, executed in-process on the same schema with the same request
 * context as /graphql -> the documented body and status.
 */
export function registerRestRoutes(
  server: FastifyInstance,
  schema: GraphQLSchema,
  contextOf: (request: FastifyRequest) => Context,
  answers: AnswerSchemas = {},
): CompiledRoute[] {
  const schemas = new InputSchemas();
  const routes = ROUTES.map((route) => compileRoute(schema, schemas, route, answers));
  for (const route of routes) {
    server.route({
      method: route.method,
      url: route.path,
      exposeHeadRoute: route.methods.includes('HEAD'),
      handler: (request, reply) => run(route, schema, contextOf(request), request, reply),
    });
  }
  return routes;
}

async function run(
  route: CompiledRoute,
  schema: GraphQLSchema,
  contextValue: Context,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  void reply.header('cache-control', 'no-store');
  let variables: Record<string, unknown>;
  let userId: string;
  try {
    // Every documented path needs a token: authenticate before reading input,
    // with the same memoised check the operation's resolvers will use, and
    // the scopes its operation's fields declare (the auth checker checks the
    // same again when they run).
    const session = await contextValue.auth.require();
    const missing = route.scopes.find((scope) => !session.allows(scope));
    if (missing) throw new AppError(Errors.insufficientScope(missing));
    // The id only: `session.user` would make a managed entity for every REST request.
    userId = session.userId;
    variables = variablesOf(route, request);
  } catch (error) {
    return fail(route, request, reply, toPublicError(error));
  }
  const result = await execute({
    schema,
    document: route.operation,
    variableValues: variables,
    contextValue: route.download
      ? { ...contextValue, download: streamedDownload(route, userId, request, reply) }
      : contextValue,
  });
  // The operation streamed its answer: the response is sent (or aborted), whatever it returned.
  if (reply.sent) return reply;
  const [first] = result.errors ?? [];
  if (first) {
    const error = toPublicError(first);
    if (isInternal(error)) {
      request.log.error(
        { route: route.path, err: describeForLog(first.originalError ?? first) },
        'unexpected error',
      );
    }
    return fail(route, request, reply, error);
  }
  if (route.status === 204) return reply.code(204).send();

  const data = formatDateTimes(result.data, route.dateTimePaths);
  const answer = answerOf(route, data);
  if (route.download) downloadHeaders(route, route.download, userId, reply);
  return reply.code(route.status).send(answer);
}

function downloadHeaders(
  route: CompiledRoute,
  fileName: NonNullable<CompiledRoute['download']>,
  userId: string,
  reply: FastifyReply,
) {
  void reply
    .code(route.status)
    .header('content-disposition', `attachment; filename="${fileName(userId, new Date())}"`)
    .header('content-type', 'application/json; charset=utf-8');
}

/**
 * The body of a download, written as the operation reads it. The first chunk
 * is read before anything is sent: a failure until then (for most accounts
 * the whole export, which fits in one chunk) rejects `send` and is answered
 * like any other error (503 with Retry-After for a database that does not
 * answer). The status and headers go out with the first chunk, so a failure
 * after that cannot become an error answer: the response is then aborted
 * (the socket destroyed before the chunked body's end), so the client sees a
 * truncated transfer and JSON that does not parse, never a complete-looking
 * body. The failure is logged here, without data; the operation's snapshot
 * is rolled back.
 */
function streamedDownload(
  route: CompiledRoute,
  userId: string,
  request: FastifyRequest,
  reply: FastifyReply,
): Download {
  const fileName = route.download;
  return {
    async send(chunks) {
      if (!fileName) throw new Error('not a download route');
      const reading = chunks[Symbol.asyncIterator]();
      const first = await reading.next();
      let failure: Error | undefined;
      async function* guarded() {
        try {
          if (first.done) return;
          yield first.value;
          // The rest of the same iteration (a `return` from the stream reaches it).
          yield* { [Symbol.asyncIterator]: () => reading };
        } catch (error) {
          failure = error instanceof Error ? error : new Error('download failed');
          request.log.error(
            { route: route.path, err: describeForLog(error) },
            'download failed while streaming: response aborted',
          );
          // What Fastify logs and answers (before the first byte: a 500) says nothing more.
          throw new Error('download aborted');
        }
      }
      downloadHeaders(route, fileName, userId, reply);
      void reply.send(Readable.from(guarded(), { objectMode: false }));
      try {
        await finished(reply.raw);
      } catch (error) {
        if (failure === undefined) {
          request.log.info({ route: route.path }, 'download ended early: the client went away');
        }
        throw failure ?? error;
      }
      if (failure !== undefined) throw failure;
    },
  };
}

/**
 * Names the field at fault the way this face names it (`avatar_url`, not
 * `avatarUrl`), and words the message in REST's terms: what GraphQL itself
 * refused (a missing variable, a value of the wrong type) is described from
 * REST's own schema of the field; a rule's message names the field as REST does.
 */
function fail(
  route: CompiledRoute,
  request: FastifyRequest,
  reply: FastifyReply,
  error: PublicError,
) {
  return sendError(request, reply, restError(route, error));
}

export function restError(route: CompiledRoute, error: PublicError): PublicError {
  const { problem, ...rest } = error;
  if (error.field === undefined) return rest;
  const field = route.restNames.get(error.field) ?? error.field;
  if (problem !== undefined) {
    const schema = route.fieldSchemas.get(field);
    if (problem === 'required') return { ...Errors.restFieldRequired(field), ...retry(error) };
    if (problem === 'null') return Errors.restFieldNotNull(field);
    if (schema) return Errors.restFieldInvalid(field, describeSchema(schema));
  }
  if (field === error.field) return { ...rest, field };
  const named = new RegExp(`\\b${error.field}\\b`, 'g');
  return { ...rest, field, message: error.message.replace(named, field) };
}

const retry = (error: PublicError) =>
  error.retryAfter === undefined ? {} : { retryAfter: error.retryAfter };

/** A JSON Schema in words: `a string`, `one of openai, anthropic, gemini`, `a list of strings`. */
function describeSchema(schema: Record<string, unknown>, plural = false): string {
  const enumValues = schema['enum'] as unknown[] | undefined;
  if (enumValues)
    return `one of ${enumValues
      .filter((v) => v !== null)
      .map(String)
      .join(', ')}`;
  const types = ([] as unknown[]).concat(schema['type'] ?? []);
  const type = types.find((t) => t !== 'null');
  const nullable = types.includes('null') ? ' or null' : '';
  switch (type) {
    case 'array':
      return `a list of ${describeSchema((schema['items'] ?? {}) as Record<string, unknown>, true)}${nullable}`;
    case 'boolean':
      return plural ? 'booleans' : `true or false${nullable}`;
    case 'integer':
      return plural ? 'integers' : `an integer${nullable}`;
    case 'string':
      return plural ? 'strings' : `a string${nullable}`;
    default:
      return plural ? 'values' : 'a valid value';
  }
}

function variablesOf(route: CompiledRoute, request: FastifyRequest): Record<string, unknown> {
  const variables: Record<string, unknown> = {};
  const params = request.params as Record<string, string>;
  for (const [param, variable] of Object.entries(route.params ?? {}))
    variables[variable] = params[param];
  const body: unknown = request.body;
  if (!route.body) {
    // A body-less path takes no body, or `{}` (what some clients always send).
    if (hasUnreadBody(request) || !(body === undefined || isEmptyObject(body))) {
      throw new AppError(Errors.noBodyExpected());
    }
    return variables;
  }
  if (body === undefined) return variables;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError(Errors.bodyNotAnObject());
  }
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const name = route.bodyFields.get(key);
    if (!name) throw new AppError(Errors.unknownBodyField(key));
    // JSON's types are REST's to check: GraphQL would take "a" for ["a"].
    const schema = route.fieldSchemas.get(key);
    if (schema && !hasJsonType(value, schema)) {
      throw new AppError(
        value === null
          ? Errors.restFieldNotNull(key)
          : Errors.restFieldInvalid(key, describeSchema(schema)),
      );
    }
    fields[name] = value;
  }
  if (route.body === 'input') variables['input'] = fields;
  else Object.assign(variables, fields);
  return variables;
}

/** Whether `value` is of a JSON type the schema allows (lists: each item too). */
function hasJsonType(value: unknown, schema: Record<string, unknown>): boolean {
  const types = ([] as unknown[]).concat(schema['type'] ?? []);
  if (types.length === 0) return true;
  const type =
    value === null
      ? 'null'
      : Array.isArray(value)
        ? 'array'
        : Number.isInteger(value)
          ? 'integer'
          : typeof value;
  if (!types.includes(type) && !(type === 'integer' && types.includes('number'))) return false;
  const items = schema['items'] as Record<string, unknown> | undefined;
  return !Array.isArray(value) || !items || value.every((item) => hasJsonType(item, items));
}

const isEmptyObject = (value: unknown) =>
  value !== null &&
  typeof value === 'object' &&
  !Array.isArray(value) &&
  Object.keys(value).length === 0;

/**
 * Fastify does not read the body of a GET (or HEAD): one announced there is
 * refused rather than ignored.
 */
function hasUnreadBody(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const length = request.headers['content-length'];
  return (
    (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined
  );
}

/**
 * Timestamps as the documents write them (`2026-01-15T10:30:00Z`), in place:
 * only along the route's DateTime paths (lists are walked through).
 */
function formatDateTimes(data: unknown, paths: readonly (readonly string[])[]): unknown {
  for (const path of paths) formatAt(data, path, 0);
  return data;
}

function formatAt(value: unknown, path: readonly string[], depth: number): void {
  if (Array.isArray(value)) {
    for (const item of value) formatAt(item, path, depth);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const parent = value as Record<string, unknown>;
  const key = path[depth] as string;
  if (depth < path.length - 1) {
    formatAt(parent[key], path, depth + 1);
    return;
  }
  const time = parent[key];
  // The DateTime scalar writes `toISOString()` text (src/graphql/scalars.ts); lists of them
  // are not in the documents.
  if (typeof time === 'string') parent[key] = isoSecondsOf(time);
}

function answerOf(route: CompiledRoute, data: unknown): Record<string, unknown> {
  let answer = data as Record<string, unknown>;
  for (const key of route.result?.split('.') ?? []) answer = answer[key] as Record<string, unknown>;
  for (const key of route.flatten ?? []) {
    const { [key]: child, ...rest } = answer;
    answer = { ...(child as Record<string, unknown>), ...rest };
  }
  return answer;
}
