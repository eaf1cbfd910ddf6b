import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { execute, type GraphQLSchema } from 'graphql';
import { AppError, Errors, type PublicError } from '../common/errors';
import { isoSeconds } from '../common/time';
import type { Context } from '../graphql/context';
import { isInternal, toPublicError } from '../graphql/errors';
import { sendError } from '../infra/http/errors';
import { describeForLog } from '../infra/logger';
import { compileRoute, type CompiledRoute } from './compile';
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
): CompiledRoute[] {
  const routes = ROUTES.map((route) => compileRoute(schema, route));
  for (const route of routes) {
    server.route({
      method: route.method,
      url: route.path,
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
  try {
    // Every documented path needs a token: authenticate before reading input,
    // with the same memoised check the operation's resolvers will use, and
    // the scopes its operation's fields declare (the auth checker checks the
    // same again when they run).
    const session = await contextValue.auth.require();
    const missing = route.scopes.find((scope) => !session.allows(scope));
    if (missing) throw new AppError(Errors.insufficientScope(missing));
    variables = variablesOf(route, request);
  } catch (error) {
    return fail(route, request, reply, toPublicError(error));
  }
  const result = await execute({
    schema,
    document: route.operation,
    variableValues: variables,
    contextValue,
  });
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
  if (route.download) {
    void reply
      .header('content-disposition', `attachment; filename="${route.download(answer, new Date())}"`)
      .header('content-type', 'application/json; charset=utf-8');
  }
  return reply.code(route.status).send(answer);
}

/** Names the field at fault the way this face names it (`avatar_url`, not `avatarUrl`). */
function fail(
  route: CompiledRoute,
  request: FastifyRequest,
  reply: FastifyReply,
  error: PublicError,
) {
  const field =
    error.field === undefined ? undefined : (route.restNames.get(error.field) ?? error.field);
  return sendError(request, reply, { ...error, ...(field === undefined ? {} : { field }) });
}

function variablesOf(route: CompiledRoute, request: FastifyRequest): Record<string, unknown> {
  const variables: Record<string, unknown> = {};
  const params = request.params as Record<string, string>;
  for (const [param, variable] of Object.entries(route.params ?? {}))
    variables[variable] = params[param];
  if (!route.body) return variables;

  const body = request.body ?? {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError(Errors.bodyNotAnObject());
  }
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const name = route.bodyFields.get(key);
    if (!name) throw new AppError(Errors.unknownBodyField(key));
    fields[name] = value;
  }
  if (route.body === 'input') variables['input'] = fields;
  else Object.assign(variables, fields);
  return variables;
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
  // graphql-scalars' DateTime serializes to a Date; lists of them are not in the documents.
  if (time instanceof Date || typeof time === 'string') parent[key] = isoSeconds(new Date(time));
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
