import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  OperationTypeNode,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLFormattedError,
} from 'graphql';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode } from '../common/errors';
import type { ExecutionRequest } from './compiled-execution';
import type { Context } from './context';
import { formatGraphQLError } from './errors';
import { logInternalErrors, statusOfErrors, type OperationObserver } from './plugins';

/** A query Apollo has parsed, validated and resolved, with no variables: its answer depends only on who asks. */
interface HotQuery {
  document: DocumentNode;
  /** As the client sent it (the executor's `operationName`). */
  operationName: string | null;
  /** The operation's own name, as Apollo's plugins are told it (null: anonymous). */
  resolvedName: string | null;
}

/** A request the hot path answers: its query, and the content type Apollo would answer it with. */
export interface HotMatch {
  query: HotQuery;
  contentType: string;
}

export interface HotQueriesOptions {
  /** Runs an operation: the same executor Apollo's gateway runs (compiled or interpreted). */
  execute: (request: ExecutionRequest) => Promise<ExecutionResult> | ExecutionResult;
  /** Told of every answer, as Apollo's `operationObserver` plugin is. */
  observe: OperationObserver;
  /** Most queries held (200); the least recently learned goes first. */
  max?: number;
}

/** Apollo Server's content types for a single result (its `MEDIA_TYPES`). */
const JSON_TYPE = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json; charset=utf-8';

/**
 * The Accept headers answered here, and the content type Apollo Server
 * negotiates for each (test/hot-queries.test.ts checks every one against
 * Apollo's own answer); any other Accept header goes to Apollo.
 */
const CONTENT_TYPE_FOR_ACCEPT = new Map<string | undefined, string>([
  [undefined, JSON_TYPE],
  ['*/*', JSON_TYPE],
  ['application/json', JSON_TYPE],
  ['application/graphql-response+json', GRAPHQL_RESPONSE_TYPE],
  // Apollo Client's own header, with and without the space.
  ['application/graphql-response+json,application/json;q=0.9', GRAPHQL_RESPONSE_TYPE],
  ['application/graphql-response+json, application/json;q=0.9', GRAPHQL_RESPONSE_TYPE],
]);

/** A router's request for a federated trace (ftv1), which Apollo's inline-trace plugin adds. */
const TRACE_HEADER = 'apollo-federation-include-trace';

/**
 * Longest query text learned (characters). Hot queries are documents a
 * client ships, a few hundred characters; with the count bounded too, what
 * the table holds stays small whatever a client sends.
 */
const MAX_QUERY_LENGTH = 8192;

const BODY_KEYS = new Set(['query', 'operationName', 'variables']);

/**
 * The queries clients send again and again, answered without Apollo
 * Server's HTTP request pipeline (issue 19). Measured on the same document,
 * the REST face (which runs the GraphQL executor in-process) cost about
 * half the CPU of `/graphql` per request: the difference was Apollo's
 * pipeline — request and header objects, content negotiation, the query's
 * SHA-256, a dozen plugin hooks, each a promise — around an execution that
 * is the same either way.
 *
 * Only what Apollo has already accepted is answered here: `plugin()` learns a
 * document once Apollo has parsed and validated it (depth, aliases, cost,
 * introspection: every rule, none of which depends on anything but the
 * document when there are no variables) and resolved it to a query, and only
 * a POST of that exact text (and operation name), without variables or
 * extensions (so no persisted query), with an Accept header of the table
 * above and no router asking for a trace, is answered here. Everything else
 * — mutations, variables, GET, APQ, a first sighting, a trace — goes to
 * Apollo as before, and with Studio usage reporting on (which traces
 * requests in Apollo's pipeline) `createApolloServer` makes no HotQueries.
 * A trusted-documents safelist is checked before either (app.ts).
 *
 * What Apollo does after execution is done the same way, by the same code
 * where it is ours: errors get Apollo's code default and `formatGraphQLError`,
 * internal ones are logged (`logInternalErrors`), the status and Retry-After
 * come from `statusOfErrors`, the metrics hear of the answer (`observe`), and
 * the body is Apollo's (`{errors, data, extensions}`, then a newline). Of
 * Apollo's other plugins here, only graphql-armor's field-suggestion mask
 * (production) looks at errors, for "Did you mean" in messages, which only
 * validation and variables produce, never the execution of a valid query
 * without variables. `test/hot-queries.test.ts` sends each case through both
 * and compares the status, the headers and the body.
 */
export class HotQueries {
  private readonly known = new Map<string, HotQuery>();
  private readonly max: number;

  constructor(private readonly options: HotQueriesOptions) {
    this.max = options.max ?? 200;
  }

  /** The Apollo plugin that learns the queries Apollo has accepted. */
  plugin(): ApolloServerPlugin<Context> {
    return {
      requestDidStart: () =>
        Promise.resolve({
          didResolveOperation: ({ request, document, operation, source }) => {
            if (
              operation &&
              request.http?.method === 'POST' &&
              // A router asking for a trace: Apollo's inline-trace plugin answers it.
              !request.http.headers.has(TRACE_HEADER) &&
              operation.operation === OperationTypeNode.QUERY &&
              !operation.variableDefinitions?.length &&
              isEmpty(request.variables) &&
              request.extensions === undefined &&
              source.length <= MAX_QUERY_LENGTH
            ) {
              this.learn(keyOf(source, request.operationName ?? null), {
                document,
                operationName: request.operationName ?? null,
                resolvedName: operation.name?.value ?? null,
              });
            }
            return Promise.resolve();
          },
        }),
    };
  }

  /** The learned query this request sends, if it may be answered here. */
  match(request: FastifyRequest): HotMatch | undefined {
    if (request.method !== 'POST' || request.headers[TRACE_HEADER] !== undefined) return undefined;
    const accept = request.headers.accept;
    const contentType = Array.isArray(accept) ? undefined : CONTENT_TYPE_FOR_ACCEPT.get(accept);
    if (contentType === undefined) return undefined;
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
    const fields = body as Record<string, unknown>;
    for (const key in fields) if (!BODY_KEYS.has(key)) return undefined;
    const { query, operationName, variables } = fields;
    if (typeof query !== 'string') return undefined;
    if (operationName !== undefined && operationName !== null && typeof operationName !== 'string')
      return undefined;
    if (!isEmpty(variables)) return undefined;
    const hot = this.known.get(keyOf(query, operationName ?? null));
    return hot && { query: hot, contentType };
  }

  /** Runs the matched query and answers it as Apollo would. */
  async answer(
    { query: hot, contentType }: HotMatch,
    contextValue: Context,
    reply: FastifyReply,
  ): Promise<string> {
    // Apollo hands resolvers a shallow copy of the context (cloneObject).
    const context = Object.assign(
      Object.create(Object.getPrototypeOf(contextValue) as object) as Context,
      contextValue,
    );
    let result: ExecutionResult;
    let status: number | undefined;
    try {
      result = await this.options.execute({
        document: hot.document,
        operationName: hot.operationName,
        operation: OperationTypeNode.QUERY,
        contextValue: context,
        variableValues: undefined,
      });
    } catch (thrown) {
      // What Apollo answers when execution itself throws: the error, 500.
      result = { errors: [asGraphQLError(thrown)] };
      status = 500;
    }
    const errors = result.errors;
    if (errors) logInternalErrors(errors, context, hot.resolvedName);
    const formatted = errors?.map(formatError);
    const head = statusOfErrors(formatted ?? []);
    if (head) {
      status = head.status;
      if (head.retryAfter !== undefined) void reply.header('retry-after', String(head.retryAfter));
    }
    this.options.observe(
      context,
      hot.resolvedName ?? hot.operationName,
      (formatted ?? []).map((error) => error.extensions?.['code']),
    );
    void reply.header('content-type', contentType).code(status ?? 200);
    return `${JSON.stringify({ errors: formatted, data: result.data, extensions: result.extensions })}\n`;
  }

  private learn(key: string, hot: HotQuery): void {
    if (this.known.has(key)) return;
    if (this.known.size >= this.max) {
      const [oldest] = this.known.keys();
      if (oldest !== undefined) this.known.delete(oldest);
    }
    this.known.set(key, hot);
  }
}

const keyOf = (query: string, operationName: string | null) => `${operationName ?? ''}\n${query}`;

/** No variables: absent, null or `{}`, as Apollo reads a POST body's. */
function isEmpty(variables: unknown): boolean {
  if (variables === undefined || variables === null) return true;
  if (typeof variables !== 'object' || Array.isArray(variables)) return false;
  for (const _ in variables) return false;
  return true;
}

function asGraphQLError(thrown: unknown): GraphQLError {
  if (thrown instanceof GraphQLError) return thrown;
  const error =
    thrown instanceof Error ? thrown : new Error(`Unexpected error value: ${String(thrown)}`);
  return new GraphQLError(error.message, { originalError: error });
}

/**
 * Apollo Server's error formatting (normalizeAndFormatErrors, without
 * stack traces): the error's JSON with its extensions and a default code,
 * then the service's `formatGraphQLError`; a formatter that throws gives
 * Apollo's internal error.
 */
function formatError(error: GraphQLError): GraphQLFormattedError {
  try {
    const extensions = {
      ...error.extensions,
      code: error.extensions['code'] ?? ErrorCode.INTERNAL_SERVER_ERROR,
    };
    return formatGraphQLError({ ...error.toJSON(), extensions }, error);
  } catch {
    return {
      message: 'Internal server error',
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  }
}
