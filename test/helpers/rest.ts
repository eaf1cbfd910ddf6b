import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { randomClientAddress, type TestServer } from './app';

export interface RestResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  /** Parsed JSON when the response is JSON (undefined for 204). */
  body: T;
  text: string;
}

export interface RestRequest {
  token?: string;
  body?: unknown;
  /** Sent as is, instead of JSON-encoding `body`. */
  rawBody?: string;
  headers?: Record<string, string>;
}

/**
 * A REST client for tests that validates every response it receives against
 * the server's own OpenAPI document: the documented path, method and status
 * must exist, and the body must match its schema.
 */
export class RestClient {
  private document: Record<string, unknown> | undefined;
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(private readonly server: TestServer) {
    addFormats(this.ajv);
  }

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: RestRequest = {},
  ): Promise<RestResponse<T>> {
    const headers: Record<string, string> = {
      'x-forwarded-for': randomClientAddress(),
      ...options.headers,
    };
    if (options.token) headers['authorization'] = `Bearer ${options.token}`;
    let body: string | undefined = options.rawBody;
    if (body === undefined && options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${this.server.url}${path}`, { method, headers, body });
    const text = await response.text();
    const parsed =
      text && /json/.test(response.headers.get('content-type') ?? '')
        ? (JSON.parse(text) as T)
        : (undefined as T);
    await this.validate(method, path, response.status, parsed);
    return { status: response.status, headers: response.headers, body: parsed, text };
  }

  /** Fails the test when the answer is not what the OpenAPI document promises. */
  async validate(method: string, path: string, status: number, body: unknown): Promise<void> {
    const document = await this.openApi();
    const paths = document['paths'] as Record<
      string,
      Record<string, { responses: Record<string, unknown> }>
    >;
    const template = Object.keys(paths).find((t) =>
      new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path.split('?')[0] ?? ''),
    );
    if (!template) {
      if (status === 404 || status === 405) return; // unknown path or method: nothing documented to match
      throw new Error(`${method} ${path} is not in the OpenAPI document`);
    }
    const operation = paths[template]?.[method.toLowerCase()];
    if (!operation) {
      if (status === 405) return;
      throw new Error(`${method} ${template} is not in the OpenAPI document`);
    }
    const response = operation.responses[String(status)] as { content?: unknown } | undefined;
    if (!response) throw new Error(`${method} ${template} does not document status ${status}`);
    if (!response.content) {
      if (body !== undefined) throw new Error(`${method} ${template} ${status} documents no body`);
      return;
    }
    const key = `${method} ${template} ${status}`;
    let validator = this.validators.get(key);
    if (!validator) {
      const pointer = [
        'paths',
        template,
        method.toLowerCase(),
        'responses',
        String(status),
        'content',
        'application/json',
        'schema',
      ]
        .map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1'))
        .join('/');
      validator = this.ajv.compile({ $ref: `openapi.json#/${pointer}` });
      this.validators.set(key, validator);
    }
    if (!validator(body)) {
      throw new Error(
        `${key}: the body does not match the OpenAPI schema: ${this.ajv.errorsText(validator.errors)}\n${JSON.stringify(body)}`,
      );
    }
  }

  async openApi(): Promise<Record<string, unknown>> {
    if (!this.document) {
      const response = await fetch(`${this.server.url}/api/openapi.json`);
      this.document = (await response.json()) as Record<string, unknown>;
      this.ajv.addSchema(this.document, 'openapi.json');
    }
    return this.document;
  }
}
