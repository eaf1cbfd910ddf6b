import { createHash } from 'node:crypto';
import { startTempPostgres, type TempPostgres } from '../scripts/temp-postgres';
import { startTestServer, type TestServer } from './helpers/app';
import { CREATE_TOKEN, SIGN_UP, uniqueEmail } from './helpers/factories';
import { RestClient } from './helpers/rest';

/*
 * PostgreSQL's own log, with every statement in it (log_statement = all) and
 * failing statements too (log_min_error_statement = error), but no bind values
 * (log_parameter_max_length = 0) and errors in full (DETAIL lines included):
 * after a user's whole life through the API, it holds the statements but none
 * of the user's secrets or texts. So no value travels in a statement's text.
 */

jest.setTimeout(60_000);

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let postgres: TempPostgres;
let server: TestServer;
const logged: string[] = [];

beforeAll(async () => {
  postgres = await startTempPostgres(
    'logged',
    {
      log_min_error_statement: 'error',
      log_statement: 'all',
      log_parameter_max_length: '0',
      log_error_verbosity: 'default',
    },
    (line) => logged.push(line),
  );
  server = await startTestServer({ DATABASE_URL: postgres.url });
});
afterAll(async () => {
  await server.close();
  await postgres.stop();
});

it('holds the statements, and no password, hash, token, key, ciphertext or profile text', async () => {
  const rest = new RestClient(server);
  const email = uniqueEmail('pglog');
  const password = 'Walrus-Canary-Passw0rd-41';
  const newPassword = 'Narwhal-Canary-Passw0rd-42';
  const wrongPassword = 'Wrong-Canary-Passw0rd-43';
  const providerKey = 'sk-proj-OCELOTCANARY0123456789abcdef';
  const texts = {
    name: 'Gannet Canary Name',
    jobTitle: 'Heron canary job title',
    bio: 'Puffin canary bio text',
    avatarUrl: 'https://example.com/cormorant-canary.png',
    preferredStyle: 'kestrel-canary-style',
    fullName: 'Osprey Canary Fullname',
    company: 'Plover Canary Company',
    useCase: 'Avocet canary use case',
    teamSize: 'dunlin-canary-size',
    prdStyle: 'curlew-canary-prd',
    interest: 'godwit-canary-interest',
    orgName: 'Lapwing Canary Org',
    invite: 'sanderling-canary@example.com',
  };

  const signedUp = await server.graphql<{ signUp: { token: string } }>(SIGN_UP, {
    input: { email, password, name: texts.name },
  });
  const firstToken = signedUp.data!.signUp.token;
  const duplicate = await server.graphql(SIGN_UP, {
    input: { email, password, name: texts.name },
  });
  expect(duplicate.errors?.[0]?.extensions['code']).toBe('CONFLICT');
  await server.graphql(CREATE_TOKEN, { input: { email, password: wrongPassword } });
  const signedIn = await server.graphql<{ createAccessToken: { token: string } }>(CREATE_TOKEN, {
    input: { email, password },
  });
  const secondToken = signedIn.data!.createAccessToken.token;
  const changed = await server.graphql(
    'mutation($i: ChangePasswordInput!) { changePassword(input: $i) { message } }',
    { i: { currentPassword: password, newPassword } },
    firstToken,
  );
  expect(changed.errors).toBeUndefined();
  const added = await rest.request('POST', '/api/user/api-keys', {
    token: firstToken,
    body: { provider: 'openai', key: providerKey, name: 'canary key' },
  });
  expect(added.status).toBe(201);
  const onboarded = await rest.request('POST', '/api/user/onboarding', {
    token: firstToken,
    body: {
      fullName: texts.fullName,
      jobTitle: texts.jobTitle,
      company: texts.company,
      useCase: texts.useCase,
      teamSize: texts.teamSize,
      prdStyle: texts.prdStyle,
      interests: [texts.interest],
      createOrg: true,
      orgName: texts.orgName,
      inviteEmails: [texts.invite],
    },
  });
  expect(onboarded.status).toBe(200);
  const updated = await server.graphql(
    'mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { id } }',
    {
      i: {
        name: texts.name,
        jobTitle: texts.jobTitle,
        bio: texts.bio,
        avatarUrl: texts.avatarUrl,
        preferredStyle: texts.preferredStyle,
      },
    },
    secondToken,
  );
  expect(updated.errors).toBeUndefined();
  expect(
    (
      await rest.request('PATCH', '/api/user/timezone', {
        token: firstToken,
        body: { timezone: 'Asia/Calcutta' },
      })
    ).status,
  ).toBe(200);
  expect((await rest.request('POST', '/api/user/activity', { token: firstToken })).status).toBe(
    200,
  );
  expect((await rest.request('GET', '/api/user/data-export', { token: firstToken })).status).toBe(
    200,
  );

  // What the database holds, read before the account goes.
  const [user] = await server.sql<{ password_hash: string }>(
    'select password_hash from users where email = ?',
    [email],
  );
  const tokenHashes = (
    await server.sql<{ token_hash: string }>(
      'select t.token_hash from access_tokens t join users u on u.id = t.user_id where u.email = ?',
      [email],
    )
  ).map((row) => row.token_hash);
  const [sealed] = await server.sql<{ iv: Buffer; ciphertext: Buffer; auth_tag: Buffer }>(
    'select k.iv, k.ciphertext, k.auth_tag from api_keys k join users u on u.id = k.user_id where u.email = ?',
    [email],
  );
  expect(user?.password_hash).toBeDefined();
  expect(tokenHashes).toHaveLength(2);
  expect(sealed).toBeDefined();

  const deleted = await rest.request('DELETE', '/api/user/delete-account', {
    token: secondToken,
    body: { confirmEmail: email },
  });
  expect(deleted.status).toBe(200);
  await server.app.deps.tokenUsage.flush(); // token use is written in the background

  const log = logged.join('\n');
  // Not vacuous: the statements are there, with placeholders, and the failure too.
  expect(log).toMatch(/statement: .*insert into "users"|execute \S+: insert into "users"/);
  expect(log).toContain('insert into "access_tokens"');
  expect(log).toContain('update "users"');
  expect(log).toContain('insert into "api_keys"');
  expect(log).toContain('$1');
  expect(log).toContain('duplicate key value violates unique constraint "users_email_unique"');

  const hashOf = (bytes: Buffer) => [bytes.toString('hex'), bytes.toString('base64')];
  const secrets = [
    password,
    newPassword,
    wrongPassword,
    firstToken,
    secondToken,
    sha256(firstToken),
    sha256(secondToken),
    ...tokenHashes,
    user!.password_hash,
    providerKey,
    ...hashOf(sealed!.iv),
    ...hashOf(sealed!.ciphertext),
    ...hashOf(sealed!.auth_tag),
    ...Object.values(texts),
  ];
  const found = secrets.filter((secret) => log.includes(secret));
  expect(found).toEqual([]);
});
