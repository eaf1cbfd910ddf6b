import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestServer, type TestServer } from './helpers/app';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

/** Every path of both API documents. */
const DOCUMENTED = [
  'get /api/user/profile',
  'patch /api/user/profile',
  'get /api/user/api-keys',
  'post /api/user/api-keys',
  'delete /api/user/api-keys/{keyId}',
  'patch /api/user/timezone',
  'get /api/user/onboarding',
  'post /api/user/onboarding',
  'get /api/user/onboarding-progress',
  'post /api/user/activity',
  'get /api/user/data-export',
  'delete /api/user/delete-account',
  'get /api/users/profile',
  'patch /api/users/profile',
  'patch /api/users/password',
  // HEAD beside every GET but the download's.
  'head /api/user/profile',
  'head /api/user/api-keys',
  'head /api/user/onboarding',
  'head /api/user/onboarding-progress',
  'head /api/users/profile',
];

describe('GET /api/openapi.json', () => {
  let document: { openapi: string; paths: Record<string, Record<string, unknown>> };
  beforeAll(async () => {
    const response = await fetch(`${server.url}/api/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    document = (await response.json()) as typeof document;
  });

  it('passes the OpenAPI 3.1 schema validator', () => {
    expect(document.openapi).toBe('3.1.0');
    const file = path.join(os.tmpdir(), `account-api-openapi-${process.pid}.json`);
    writeFileSync(file, JSON.stringify(document));
    const cli = require.resolve('@seriousme/openapi-schema-validator/bin/validate-api-cli.js');
    const result = spawnSync(process.execPath, [cli, file], { encoding: 'utf8' });
    expect(JSON.parse(result.stdout)).toEqual({ valid: true });
    expect(result.status).toBe(0);
  });

  it('describes exactly the documented paths', () => {
    const described = Object.entries(document.paths).flatMap(([p, methods]) =>
      Object.keys(methods).map((m) => `${m} ${p}`),
    );
    expect(described.sort()).toEqual([...DOCUMENTED].sort());
  });

  it('documents the exact answer of POST /api/user/api-keys', () => {
    const post = document.paths['/api/user/api-keys']?.['post'] as {
      responses: Record<
        string,
        {
          content: {
            'application/json': { schema: { required: string[]; additionalProperties: boolean } };
          };
        }
      >;
    };
    const schema = post.responses['201']!.content['application/json'].schema;
    expect(schema.required).toEqual(['id', 'provider', 'name', 'createdAt']);
    expect(schema.additionalProperties).toBe(false);
  });

  type Schema = Record<string, unknown>;
  const requestSchema = (path: string, method: string) =>
    (
      document.paths[path]?.[method] as {
        requestBody: {
          content: { 'application/json': { schema: { properties: Record<string, Schema> } } };
        };
      }
    ).requestBody.content['application/json'].schema.properties;

  it('bounds every text field of every request body, as the validators do', () => {
    const strings: string[] = [];
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        if (!(operation as Schema)['requestBody']) continue;
        for (const [name, schema] of Object.entries(requestSchema(path, method))) {
          const leaf = (schema['items'] as Schema | undefined) ?? schema;
          if (![leaf['type']].flat().includes('string') || leaf['enum']) continue;
          strings.push(`${method} ${path} ${name}`);
          expect([name, typeof leaf['maxLength']]).toEqual([name, 'number']);
        }
      }
    }
    expect(strings.length).toBeGreaterThan(20);
  });

  it('carries the rules: password, http(s) URLs, time zones, lengths, list sizes, nullability', () => {
    expect(requestSchema('/api/users/password', 'patch')['new_password']).toMatchObject({
      type: 'string',
      minLength: 8,
      maxLength: 128,
      allOf: [{ pattern: '[A-Z]' }, { pattern: '[0-9]' }],
    });
    for (const [path, field] of [
      ['/api/users/profile', 'avatar_url'],
      ['/api/user/profile', 'avatar'],
    ] as const) {
      expect(requestSchema(path, 'patch')[field]).toMatchObject({
        type: ['string', 'null'],
        format: 'uri',
        maxLength: 2048,
        pattern: '^[Hh][Tt][Tt][Pp][Ss]?://',
      });
    }
    // A name may be left out, not cleared.
    expect(requestSchema('/api/user/profile', 'patch')['name']).toMatchObject({
      type: 'string',
      maxLength: 255,
      pattern: '\\S',
    });
    expect(requestSchema('/api/user/timezone', 'patch')['timezone']).toMatchObject({
      type: 'string',
      format: 'iana-time-zone',
      maxLength: 64,
    });
    expect(requestSchema('/api/user/api-keys', 'post')['key']).toMatchObject({
      minLength: 8,
      maxLength: 512,
    });
    expect(requestSchema('/api/user/onboarding', 'post')['interests']).toMatchObject({
      maxItems: 20,
      items: { type: 'string', maxLength: 64 },
    });
    const remove = document.paths['/api/user/api-keys/{keyId}']?.['delete'] as {
      parameters: Schema[];
    };
    expect(remove.parameters[0]).toMatchObject({ schema: { type: 'string', maxLength: 100 } });
  });

  it('describes the whole data export, every object closed', () => {
    const get = document.paths['/api/user/data-export']?.['get'] as {
      responses: Record<string, { content: Record<string, { schema: Schema }> }>;
    };
    const schema = get.responses['200']!.content['application/json']!.schema;
    expect(schema['additionalProperties']).toBe(false);
    expect(Object.keys(schema['properties'] as Schema).sort()).toEqual(
      [
        'formatVersion',
        'exportedAt',
        'profile',
        'preferences',
        'onboarding',
        'apiKeys',
        'accessTokens',
        'organizations',
        'memberships',
        'invitations',
        'activity',
        'email',
        'messages',
        'securityEvents',
      ].sort(),
    );
  });
});
