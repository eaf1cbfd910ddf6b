import { Authenticator } from '../src/auth/authenticator';
import { Session } from '../src/auth/session';
import { generateToken, hashToken } from '../src/auth/token';
import { startTestServer, type TestServer } from './helpers/app';
import { CREATE_TOKEN, PASSWORD, signUp, type SignedUp } from './helpers/factories';
import { RestClient } from './helpers/rest';
import { recordingStatements } from './helpers/statements';

/*
 * Sessions against two instances on one database. Nothing about a token is
 * kept between requests, so whatever one instance (or an operator's SQL)
 * changes, every instance sees on the very next request.
 */

let a: TestServer;
let b: TestServer;
beforeAll(async () => {
  [a, b] = await Promise.all([startTestServer(), startTestServer()]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});

const VIEWER = '{ viewer { id profile { name } } }';
const REVOKE = 'mutation($id: ID!) { revokeAccessToken(id: $id) { id } }';

type Viewer = { viewer: { id: string; profile: { name: string } } | null };

/** Authenticates once on `server`. */
async function signedIn(server: TestServer, token: string): Promise<void> {
  const result = await server.graphql<Viewer>(VIEWER, {}, token);
  expect(result.errors).toBeUndefined();
}

async function secondToken(server: TestServer, user: SignedUp): Promise<string> {
  const result = await server.graphql<{ createAccessToken: { token: string } }>(CREATE_TOKEN, {
    input: { email: user.email, password: PASSWORD, name: 'second' },
  });
  return result.data!.createAccessToken.token;
}

const code = (result: { errors?: { extensions: Record<string, unknown> }[] }) =>
  result.errors?.[0]?.extensions['code'];

describe('a session', () => {
  it('rejects a revoked token at once on the instance that revoked it', async () => {
    const user = await signUp(a);
    const other = await secondToken(a, user);
    await signedIn(a, user.token);

    expect((await a.graphql(REVOKE, { id: user.tokenId }, other)).errors).toBeUndefined();
    expect(code(await a.graphql(VIEWER, {}, user.token))).toBe('UNAUTHENTICATED');
    expect(
      (await new RestClient(a).request('GET', '/api/user/profile', { token: user.token })).status,
    ).toBe(401);
  });

  it('rejects a token revoked on another instance at once', async () => {
    const user = await signUp(a);
    const other = await secondToken(a, user);
    await signedIn(b, user.token);

    expect((await a.graphql(REVOKE, { id: user.tokenId }, other)).errors).toBeUndefined();
    const after = await b.graphql(VIEWER, {}, user.token);
    expect(code(after)).toBe('UNAUTHENTICATED');
    expect(after.data).toEqual({ viewer: null });
  });

  it('rejects a token revoked by SQL outside the service', async () => {
    const user = await signUp(a);
    await signedIn(a, user.token);
    await signedIn(b, user.token);

    await a.sql('update access_tokens set revoked_at = now() where id = ?', [user.tokenId]);
    for (const server of [a, b]) {
      const after = await server.graphql(VIEWER, {}, user.token);
      expect(code(after)).toBe('UNAUTHENTICATED');
    }
  });

  it("rejects a deleted account's token on every instance", async () => {
    const user = await signUp(a);
    await signedIn(a, user.token);
    await signedIn(b, user.token);

    const deleted = await a.graphql(
      'mutation($e: String!) { deleteAccount(confirmEmail: $e) { message } }',
      { e: user.email },
      user.token,
    );
    expect(deleted.errors).toBeUndefined();
    expect(code(await a.graphql(VIEWER, {}, user.token))).toBe('UNAUTHENTICATED');
    const onB = await b.graphql(VIEWER, {}, user.token);
    expect(code(onB)).toBe('UNAUTHENTICATED');
  });

  it('shows a profile change at once, where it was made and on the other instance', async () => {
    const user = await signUp(a);
    await signedIn(a, user.token);
    await signedIn(b, user.token);

    const updated = await a.graphql(
      'mutation { updateProfile(input: {name: "Renamed"}) { id } }',
      {},
      user.token,
    );
    expect(updated.errors).toBeUndefined();
    expect((await a.graphql<Viewer>(VIEWER, {}, user.token)).data?.viewer?.profile.name).toBe(
      'Renamed',
    );
    const onB = await b.graphql<Viewer>(VIEWER, {}, user.token);
    expect(onB.data?.viewer?.profile.name).toBe('Renamed');

    // The REST face reads its own writes too.
    const rest = new RestClient(a);
    expect(
      (
        await rest.request('PATCH', '/api/user/profile', {
          token: user.token,
          body: { name: 'R2' },
        })
      ).status,
    ).toBe(200);
    const profile = await rest.request<{ name: string }>('GET', '/api/user/profile', {
      token: user.token,
    });
    expect(profile.body.name).toBe('R2');
  });

  it('records lastUsedAt in batches, without a write on the request path', async () => {
    const user = await signUp(a);
    const lastUsedMs = async () =>
      (
        await a.sql<{ ms: number | null }>(
          'select floor(extract(epoch from last_used_at) * 1000)::float8 as ms from access_tokens where id = ?',
          [user.tokenId],
        )
      )[0]?.ms;

    await signedIn(a, user.token);
    expect(await lastUsedMs()).toBeNull();
    await a.app.deps.tokenUsage.flush();
    const recorded = await lastUsedMs();
    expect(typeof recorded).toBe('number');
    expect(Math.abs(Date.now() - recorded!)).toBeLessThan(60_000);

    const listed = await a.graphql<{ viewer: { accessTokens: { lastUsedAt: string | null }[] } }>(
      '{ viewer { accessTokens { lastUsedAt } } }',
      {},
      user.token,
    );
    expect(listed.data?.viewer.accessTokens[0]?.lastUsedAt).toBe(new Date(recorded!).toISOString());
  });
});

describe('lookups of concurrent requests', () => {
  it('go to the database in one statement, each token matched back to its own user', async () => {
    const users = await Promise.all(Array.from({ length: 5 }, () => signUp(a)));
    const revoked = await signUp(a);
    await a.sql('update access_tokens set revoked_at = now() where id = ?', [revoked.tokenId]);
    const { statements, calls } = recordingStatements(a);
    const authenticator = new Authenticator(statements, a.app.deps.tokenUsage);
    const tokens = [
      ...users.map((user) => user.token),
      revoked.token,
      generateToken(),
      users[0]!.token,
    ];
    const noEntityManager = () => {
      throw new Error('not needed');
    };

    const sessions = await Promise.all(
      tokens.map((token) =>
        authenticator.authenticate(token, noEntityManager, { ip: null, userAgent: null }),
      ),
    );

    expect(calls).toHaveLength(1);
    expect(sessions.map((session) => session?.userId ?? null)).toEqual([
      ...users.map((user) => user.id),
      null, // revoked
      null, // unknown
      users[0]!.id,
    ]);
    // The snapshot holds the user's columns, nothing of the token.
    const first = sessions[0];
    if (!(first instanceof Session)) throw new Error('expected a session');
    expect(JSON.stringify(first.profile)).not.toContain(hashToken(users[0]!.token));
  });

  it('over HTTP: each request is its own user', async () => {
    const users = await Promise.all(Array.from({ length: 12 }, () => signUp(a)));
    const answers = await Promise.all(
      users.map((user) => a.graphql<Viewer>(VIEWER, {}, user.token)),
    );
    expect(answers.map((answer) => answer.data?.viewer?.id)).toEqual(users.map((u) => u.id));
  });
});
