import { startTestServer, type TestServer } from './helpers/app';
import { signUp } from './helpers/factories';

const PROFILE_FIELDS =
  'id email name jobTitle bio avatarUrl preferredStyle timezone emailVerified plan createdAt updatedAt';
const READ = `{ viewer { profile { ${PROFILE_FIELDS} } } }`;
const UPDATE = /* GraphQL */ `
  mutation Update($input: UpdateProfileInput!) {
    updateProfile(input: $input) { ${PROFILE_FIELDS} }
  }
`;

type Profile = Record<string, unknown> & { updatedAt: string; createdAt: string };

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

async function userRow(id: string): Promise<Record<string, unknown>> {
  const [row] = await server
    .em()
    .getConnection()
    .execute(
      'select name, job_title, bio, avatar_url, preferred_style, updated_at from users where id = ?',
      [id],
    );
  return row as Record<string, unknown>;
}

describe('Viewer.profile', () => {
  it('shows every field, with the defaults of a new account', async () => {
    const user = await signUp(server, { name: 'Ada Lovelace' });
    const result = await server.graphql<{ viewer: { profile: Profile } }>(READ, {}, user.token);

    expect(result.errors).toBeUndefined();
    const profile = result.data!.viewer.profile;
    expect(profile).toEqual({
      id: user.id,
      email: user.email,
      name: 'Ada Lovelace',
      jobTitle: null,
      bio: null,
      avatarUrl: null,
      preferredStyle: null,
      timezone: 'UTC',
      emailVerified: false,
      plan: 'free',
      createdAt: profile.createdAt,
      updatedAt: profile.updatedAt,
    });
    expect(profile.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(Date.parse(profile.updatedAt)).toBeGreaterThanOrEqual(Date.parse(profile.createdAt));
  });
});

describe('updateProfile', () => {
  it('changes only the fields sent, and null clears an optional field', async () => {
    const user = await signUp(server, { name: 'Before' });
    const first = await server.graphql<{ updateProfile: Profile }>(
      UPDATE,
      {
        input: {
          jobTitle: 'Product Manager',
          bio: 'Writes specs.',
          avatarUrl: 'https://example.com/avatars/jane.jpg',
          preferredStyle: 'comprehensive',
        },
      },
      user.token,
    );
    expect(first.errors).toBeUndefined();
    expect(first.data!.updateProfile).toMatchObject({
      name: 'Before',
      jobTitle: 'Product Manager',
      bio: 'Writes specs.',
      avatarUrl: 'https://example.com/avatars/jane.jpg',
      preferredStyle: 'comprehensive',
    });

    const second = await server.graphql<{ updateProfile: Profile }>(
      UPDATE,
      {
        input: { name: '  Jane Smith  ', bio: null },
      },
      user.token,
    );
    expect(second.errors).toBeUndefined();
    expect(second.data!.updateProfile).toMatchObject({
      name: 'Jane Smith',
      jobTitle: 'Product Manager',
      bio: null,
      avatarUrl: 'https://example.com/avatars/jane.jpg',
      preferredStyle: 'comprehensive',
    });
    expect(Date.parse(second.data!.updateProfile.updatedAt)).toBeGreaterThanOrEqual(
      Date.parse(first.data!.updateProfile.updatedAt),
    );

    expect(await userRow(user.id)).toMatchObject({
      name: 'Jane Smith',
      job_title: 'Product Manager',
      bio: null,
      avatar_url: 'https://example.com/avatars/jane.jpg',
      preferred_style: 'comprehensive',
    });
    const read = await server.graphql<{ viewer: { profile: Profile } }>(READ, {}, user.token);
    expect(read.data!.viewer.profile).toMatchObject({ name: 'Jane Smith', bio: null });
  });

  it.each([
    ['name', null, /cannot be cleared/],
    ['name', '   ', /must not be blank/],
    ['name', 'n'.repeat(256), /255/],
    ['jobTitle', 'j'.repeat(256), /255/],
    ['bio', 'b'.repeat(2001), /2000/],
    ['avatarUrl', 'not a url', /URL/],
    ['avatarUrl', 'javascript:alert(1)', /URL/],
    ['avatarUrl', `https://example.com/${'a'.repeat(2048)}`, /2048/],
    ['preferredStyle', 's'.repeat(65), /64/],
  ])('refuses %s = %p with the field named, changing nothing', async (field, value, message) => {
    const user = await signUp(server, { name: 'Unchanged' });
    const before = await userRow(user.id);

    const result = await server.graphql(
      UPDATE,
      { input: { jobTitle: 'Ignored too', [field]: value } },
      user.token,
    );

    expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field });
    expect(result.errors?.[0]?.message).toMatch(message);
    expect(await userRow(user.id)).toEqual(before);
  });

  it('refuses an unknown field', async () => {
    const user = await signUp(server);
    const result = await server.graphql(
      UPDATE,
      { input: { email: 'new@example.com' } },
      user.token,
    );
    expect(result.status).toBe(400);
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'email' });
  });

  it('needs authentication', async () => {
    const result = await server.graphql(UPDATE, { input: { name: 'X' } });
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED' });
  });
});
