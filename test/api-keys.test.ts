import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  createScratchDatabase,
  startTestServer,
  testMasterKeys,
  type TestServer,
} from './helpers/app';
import { signUp, type SignedUp } from './helpers/factories';
import { childEnv } from './helpers/process';

const ADD = /* GraphQL */ `
  mutation Add($input: AddApiKeyInput!) {
    addApiKey(input: $input) {
      id
      provider
      name
      maskedKey
      status
      createdAt
      updatedAt
    }
  }
`;
const LIST = '{ viewer { apiKeys { id provider name maskedKey status } } }';
const REMOVE = 'mutation Remove($id: ID!) { removeApiKey(id: $id) { id provider maskedKey } }';

interface KeyView {
  id: string;
  provider: string;
  name: string | null;
  maskedKey: string | null;
  status: string;
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const openAiKey = () => `sk-proj-${randomBytes(24).toString('base64url')}c123`;

async function add(user: SignedUp, input: Record<string, unknown>): Promise<KeyView> {
  const result = await server.graphql<{ addApiKey: KeyView }>(ADD, { input }, user.token);
  if (!result.data?.addApiKey) throw new Error(result.text);
  return result.data.addApiKey;
}

async function list(user: SignedUp): Promise<KeyView[]> {
  const result = await server.graphql<{ viewer: { apiKeys: KeyView[] } }>(LIST, {}, user.token);
  expect(result.errors).toBeUndefined();
  return result.data!.viewer.apiKeys;
}

describe('addApiKey', () => {
  it('stores the key encrypted and shows it only masked', async () => {
    const user = await signUp(server);
    const key = openAiKey();

    const added = await add(user, { provider: 'openai', key, name: 'My OpenAI Key' });

    expect(added).toMatchObject({
      id: expect.stringMatching(/^key_[0-9A-Za-z]{22}$/) as unknown,
      provider: 'openai',
      name: 'My OpenAI Key',
      maskedKey: 'sk-proj-…c123',
      status: 'unverified',
    });
    expect(await list(user)).toEqual([
      {
        id: added.id,
        provider: 'openai',
        name: 'My OpenAI Key',
        maskedKey: 'sk-proj-…c123',
        status: 'unverified',
      },
    ]);

    const [row] = await server.sql<{ json: string; key_version: string }>(
      'select row_to_json(k)::text as json, key_version from api_keys k where id = ?',
      [added.id],
    );
    const stored = row!.json;
    for (const form of [
      key,
      Buffer.from(key).toString('base64'),
      Buffer.from(key).toString('hex'),
    ]) {
      expect(stored).not.toContain(form);
    }
    expect(row!.key_version).toBe(testMasterKeys().split(':')[0]);
  });

  it('accepts the documented example key as written', async () => {
    const user = await signUp(server);
    const added = await add(user, {
      provider: 'openai',
      key: 'sk-proj-abc123...',
      name: 'My OpenAI Key',
    });
    expect(added.maskedKey).toBe('sk-proj-…3...');
  });

  it('replaces the key of a provider that has one, keeping one row', async () => {
    const user = await signUp(server);
    const first = await add(user, {
      provider: 'anthropic',
      key: `sk-ant-api03-${'a'.repeat(40)}1111`,
    });
    const second = await add(user, {
      provider: 'anthropic',
      key: `sk-ant-api03-${'b'.repeat(40)}2222`,
    });

    expect(second.id).not.toBe(first.id);
    expect(await list(user)).toEqual([
      expect.objectContaining({ id: second.id, maskedKey: 'sk-ant-api03-…2222' }),
    ]);
    const rows = await server.sql('select id from api_keys where user_id = ?', [user.id]);
    expect(rows).toEqual([{ id: second.id }]);
  });

  it('keeps exactly one key per provider when additions race', async () => {
    const user = await signUp(server);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        server.graphql(
          ADD,
          { input: { provider: 'gemini', key: `AIza${'x'.repeat(30)}${1000 + i}` } },
          user.token,
        ),
      ),
    );
    expect(results.every((r) => r.errors === undefined)).toBe(true);
    const rows = await server.sql('select provider from api_keys where user_id = ?', [user.id]);
    expect(rows).toEqual([{ provider: 'gemini' }]);
  });

  it.each([
    ['provider', { provider: 'mistral', key: 'sk-valid-key-123456' }],
    ['key', { provider: 'openai', key: 'short' }],
    ['key', { provider: 'openai', key: 'sk-has a space-1234567' }],
    ['key', { provider: 'openai', key: `sk-${'k'.repeat(600)}` }],
    ['name', { provider: 'openai', key: 'sk-valid-key-123456', name: 'n'.repeat(101) }],
  ])('refuses an invalid %s without storing or echoing the key', async (field, input) => {
    const user = await signUp(server);
    const result = await server.graphql(ADD, { input }, user.token);
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field });
    expect(result.text).not.toContain(input.key);
    expect(await server.sql('select 1 from api_keys where user_id = ?', [user.id])).toHaveLength(0);
  });
});

describe('removeApiKey', () => {
  it("removes the viewer's key and answers NOT_FOUND for anyone else's, alike a missing one", async () => {
    const owner = await signUp(server);
    const other = await signUp(server);
    const key = await add(owner, { provider: 'openai', key: openAiKey() });

    const foreign = await server.graphql(REMOVE, { id: key.id }, other.token);
    const missing = await server.graphql(REMOVE, { id: 'key_0000000000000000000000' }, other.token);
    expect(foreign.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND' });
    expect(foreign.errors?.[0]?.message).toBe(missing.errors?.[0]?.message);
    expect(await list(owner)).toHaveLength(1);

    const removed = await server.graphql(REMOVE, { id: key.id }, owner.token);
    expect(removed.data).toEqual({
      removeApiKey: { id: key.id, provider: 'openai', maskedKey: 'sk-proj-…c123' },
    });
    expect(await list(owner)).toEqual([]);
  });
});

describe('encryption at rest', () => {
  it('reports a tampered ciphertext as unreadable and keeps serving', async () => {
    const user = await signUp(server);
    const tampered = await add(user, { provider: 'openai', key: openAiKey() });
    const intact = await add(user, { provider: 'gemini', key: `AIza${'g'.repeat(35)}` });

    await server.sql(
      'update api_keys set ciphertext = set_byte(ciphertext, 3, get_byte(ciphertext, 3) # 1) where id = ?',
      [tampered.id],
    );

    const keys = await list(user);
    expect(keys).toEqual([
      expect.objectContaining({ id: intact.id, status: 'unverified', maskedKey: 'AIza…gggg' }),
      expect.objectContaining({ id: tampered.id, status: 'unreadable', maskedKey: null }),
    ]);
    const me = await server.graphql('{ viewer { id } }', {}, user.token);
    expect(me.errors).toBeUndefined();
  });

  it("does not decrypt a ciphertext copied into another user's row", async () => {
    const victim = await signUp(server);
    const attacker = await signUp(server);
    const victimKey = await add(victim, { provider: 'openai', key: openAiKey() });
    const attackerKey = await add(attacker, {
      provider: 'openai',
      key: `sk-proj-${'z'.repeat(30)}`,
    });

    await server.sql(
      `update api_keys a set iv = v.iv, ciphertext = v.ciphertext, auth_tag = v.auth_tag, key_version = v.key_version
       from api_keys v where v.id = ? and a.id = ?`,
      [victimKey.id, attackerKey.id],
    );

    expect(await list(attacker)).toEqual([
      expect.objectContaining({ id: attackerKey.id, status: 'unreadable', maskedKey: null }),
    ]);
    expect(await list(victim)).toEqual([
      expect.objectContaining({ status: 'unverified', maskedKey: 'sk-proj-…c123' }),
    ]);
  });
});

describe('npm run keys:reencrypt', () => {
  const command = path.join(__dirname, '..', 'dist', 'src', 'cli', 'reencrypt-keys.js');
  const run = (databaseUrl: string, masterKeys: string) =>
    spawnSync(process.execPath, [command], {
      env: childEnv({ NODE_ENV: 'test', DATABASE_URL: databaseUrl, MASTER_KEYS: masterKeys }),
      encoding: 'utf8',
      timeout: 60_000,
    });
  const newKeys = `rotated-${Date.now().toString(36)}:${randomBytes(32).toString('base64')},${testMasterKeys()}`;

  let databaseUrl: string;
  let own: TestServer;
  beforeAll(async () => {
    // Its own database: the command works on every row there is.
    databaseUrl = await createScratchDatabase();
    own = await startTestServer({ DATABASE_URL: databaseUrl });
  });
  afterAll(async () => {
    await own.close();
  });

  it('moves every key to the newest master key, and a rerun finds nothing left', async () => {
    const user = await signUp(own);
    for (const input of [
      { provider: 'openai', key: openAiKey() },
      { provider: 'anthropic', key: `sk-ant-${'r'.repeat(40)}9999` },
    ]) {
      const result = await own.graphql(ADD, { input }, user.token);
      expect(result.errors).toBeUndefined();
    }

    const first = run(databaseUrl, newKeys);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^Re-encrypted 2 key\(s\) under "rotated-/);

    const versions = await own.sql<{ key_version: string }>(
      'select distinct key_version from api_keys',
    );
    expect(versions).toEqual([{ key_version: newKeys.split(':')[0] }]);

    const second = run(databaseUrl, newKeys);
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/^Re-encrypted 0 key\(s\)/);

    // A server that knows the new master key reads them as before.
    const rotated = await startTestServer({ DATABASE_URL: databaseUrl, MASTER_KEYS: newKeys });
    try {
      const result = await rotated.graphql<{ viewer: { apiKeys: KeyView[] } }>(
        LIST,
        {},
        user.token,
      );
      expect(result.data!.viewer.apiKeys.map((k) => [k.status, k.maskedKey])).toEqual([
        ['unverified', 'sk-ant-…9999'],
        ['unverified', 'sk-proj-…c123'],
      ]);
    } finally {
      await rotated.close();
    }
  });
});

describe('npm run keys:reencrypt with a key that no longer decrypts', () => {
  it('re-encrypts the others, leaves that one, names it and exits 1', async () => {
    const databaseUrl = await createScratchDatabase();
    const own = await startTestServer({ DATABASE_URL: databaseUrl });
    try {
      const user = await signUp(own);
      const good = await own.graphql<{ addApiKey: KeyView }>(
        ADD,
        { input: { provider: 'openai', key: openAiKey() } },
        user.token,
      );
      const bad = await own.graphql<{ addApiKey: KeyView }>(
        ADD,
        { input: { provider: 'gemini', key: `AIza${'q'.repeat(35)}` } },
        user.token,
      );
      await own.sql(
        'update api_keys set auth_tag = set_byte(auth_tag, 0, get_byte(auth_tag, 0) # 255) where id = ?',
        [bad.data!.addApiKey.id],
      );
      const newKeys = `next:${randomBytes(32).toString('base64')},${testMasterKeys()}`;
      const result = spawnSync(
        process.execPath,
        [path.join(__dirname, '..', 'dist', 'src', 'cli', 'reencrypt-keys.js')],
        {
          env: childEnv({
            NODE_ENV: 'test',
            DATABASE_URL: databaseUrl,
            MASTER_KEYS: newKeys,
            LOG_LEVEL: 'silent',
          }),
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      expect(result.status).toBe(1);
      expect(result.stdout).toContain('Re-encrypted 1 key(s) under "next"');
      expect(result.stdout).toContain(bad.data!.addApiKey.id);
      const rows = await own.sql('select id, key_version from api_keys order by key_version');
      expect(rows).toEqual([
        { id: good.data!.addApiKey.id, key_version: 'next' },
        { id: bad.data!.addApiKey.id, key_version: testMasterKeys().split(':')[0] },
      ]);
    } finally {
      await own.close();
    }
  });
});
