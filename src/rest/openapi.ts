import { ErrorCode, ErrorReason } from '../common/errors';
import type { CompiledRoute, JsonSchema } from './compile';

const ERROR_STATUSES: Readonly<Record<string, string>> = {
  '400': 'Invalid input; `field` names the field at fault',
  '401':
    'Missing, malformed, revoked, expired or unknown Bearer token (expired: `WWW-Authenticate: Bearer error="invalid_token"`)',
  '403':
    'The plan does not allow it (PLAN_LIMIT_EXCEEDED), or the token lacks the scope (`WWW-Authenticate: Bearer error="insufficient_scope"`)',
  '404': 'Not found',
  '413': 'Request body too large',
  '414': 'A path parameter is too long',
  '415': 'Content-Type is not application/json',
  '429': 'Too many requests; see Retry-After',
  '500': 'Unexpected error (logged, never detailed)',
  '503': 'Temporarily unavailable (database unreachable); see Retry-After',
};

/** Answered only where the route reads a body. */
const BODY_ERRORS = ['413', '415'];
/** Answered only where the path has a parameter. */
const PARAM_ERRORS = ['414'];
/** Answered only by routes whose rules can refuse them. */
const ROUTE_ERRORS: Readonly<Record<string, readonly string[]>> = {
  '403': ['/api/user/api-keys'],
};

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/**
 * The OpenAPI 3.1 description of the REST face, generated from the same
 * compiled route table the executor runs, so it cannot drift from it.
 */
export function openApiDocument(routes: readonly CompiledRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const operation: Record<string, unknown> = {
      operationId: operationId(route),
      summary: route.summary,
      tags: [route.casing === 'snake' ? 'Users API' : 'User API'],
      // OpenAPI 3.1 lets a bearer scheme list the roles (here: token scopes) it needs.
      security: [{ bearerAuth: [...route.scopes] }],
      ...(route.params
        ? {
            parameters: Object.keys(route.params).map((name) => ({
              name,
              in: 'path',
              required: true,
              schema: route.fieldSchemas.get(name) ?? { type: 'string' },
            })),
          }
        : {}),
      ...(route.requestSchema
        ? {
            requestBody: {
              required:
                route.requestSchema['required'] instanceof Array &&
                route.requestSchema['required'].length > 0,
              content: { 'application/json': { schema: route.requestSchema } },
            },
          }
        : {}),
      responses: {
        [String(route.status)]: successResponse(route),
        '403': errorResponse(
          `The token lacks the ${route.scopes.join(', ')} scope (\`WWW-Authenticate: Bearer error="insufficient_scope"\`)`,
        ),
        ...Object.fromEntries(
          Object.entries(ERROR_STATUSES)
            .filter(
              ([status]) =>
                (route.requestSchema !== undefined || !BODY_ERRORS.includes(status)) &&
                (route.params !== undefined || !PARAM_ERRORS.includes(status)) &&
                (ROUTE_ERRORS[status]?.includes(route.path) ?? true),
            )
            .map(([status, description]) => [status, errorResponse(description)]),
        ),
      },
    };
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation };
    // HEAD beside a GET: the same answers, headers only.
    if (route.methods.includes('HEAD')) {
      const responses = operation['responses'] as Record<string, Record<string, unknown>>;
      paths[path]['head'] = {
        ...operation,
        operationId: `head${(operation['operationId'] as string).slice(3)}`,
        summary: `${route.summary} (headers only)`,
        responses: Object.fromEntries(
          Object.entries(responses).map(([status, { description }]) => [status, { description }]),
        ),
      };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Account API — REST compatibility layer',
      version: '1.0.0',
      description:
        'The `/api/user/*` (camelCase) and `/api/users/*` (snake_case) paths of the two legacy API documents. Each runs an operation of the GraphQL API at /graphql. Timestamps are ISO 8601 UTC without milliseconds.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          additionalProperties: false,
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              additionalProperties: false,
              properties: {
                code: { type: 'string', enum: Object.values(ErrorCode) },
                message: { type: 'string' },
                field: {
                  type: 'string',
                  description: 'The input field at fault, as this API names it.',
                },
                reason: {
                  type: 'string',
                  enum: Object.values(ErrorReason),
                  description:
                    'Why, where a client may act on it: `PROVIDER_REJECTED_KEY` (400 on `key`) when the AI provider refused the key.',
                },
              },
            },
          },
        },
      },
    },
  };
}

function successResponse(route: CompiledRoute): Record<string, unknown> {
  if (!route.responseSchema) return { description: 'Done; no content' };
  const schema: JsonSchema = route.responseSchema;
  return {
    description: route.download ? 'A JSON file download' : 'Success',
    ...(route.download
      ? {
          headers: {
            'Content-Disposition': {
              description: 'attachment; filename="account-export-<user id>-<date>.json"',
              schema: { type: 'string' },
            },
          },
        }
      : {}),
    content: { 'application/json': { schema } },
  };
}

/** `GET /api/users/profile` -> `getUsersProfile`. */
function operationId(route: CompiledRoute): string {
  const words = route.path
    .split('/')
    .filter((part) => part && part !== 'api' && !part.startsWith(':'))
    .flatMap((part) => part.split('-'));
  return [route.method.toLowerCase(), ...words.map((w) => w[0]?.toUpperCase() + w.slice(1))].join(
    '',
  );
}
