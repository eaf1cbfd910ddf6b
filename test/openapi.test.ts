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
});
