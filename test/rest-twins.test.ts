import { startTestServer, type TestServer } from './helpers/app';
import { CREATE_TOKEN, signUp, uniqueEmail, type SignedUp } from './helpers/factories';
import { RestClient } from './helpers/rest';

/*
 * The REST face holds no rules: each REST call must leave the database in the
 * same state as its GraphQL twin. Two fresh users, one per face, get the same
 * sequence of calls; their rows are compared with ids and times left out.
 */

let server: TestServer;
let rest: RestClient;
beforeAll(async () => {
  server = await startTestServer();
  rest = new RestClient(server);
});
afterAll(async () => {
  await server.close();
});

/** Everything the database holds about a user, without ids, hashes or times. */
async function state(user: SignedUp): Promise<Record<string, unknown>> {
  const q = (sql: string) => server.sql(sql, [user.id]);
  return {
    user: await q(`select name, job_title, bio, avatar_url, preferred_style, timezone, email_verified, plan,
                          last_active_at is not null as active from users where id = ?`),
    tokens: await q(
      'select name, revoked_at is not null as revoked from access_tokens where user_id = ? order by created_at',
    ),
    keys: await q(
      'select provider, name, key_version from api_keys where user_id = ? order by provider',
    ),
    onboarding:
      await q(`select company, use_case, team_size, prd_style, interests, organization_id is not null as has_org
                         from onboardings where user_id = ?`),
    organizations:
      await q(`select o.name, m.role from memberships m join organizations o on o.id = m.organization_id
                            where m.user_id = ? order by o.name`),
    invitations:
      await q(`select split_part(email, '-', 1) as who, status from invitations where invited_by_id = ?
                          order by email`),
    activity: await q('select count(*)::int as events from activity_events where user_id = ?'),
  };
}

type Call = (user: SignedUp) => Promise<{ ok: boolean; detail: string }>;
const viaRest =
  (
    method: string,
    path: string | ((u: SignedUp) => string),
    body?: (u: SignedUp) => unknown,
  ): Call =>
  async (user) => {
    const response = await rest.request(method, typeof path === 'string' ? path : path(user), {
      token: user.token,
      ...(body ? { body: body(user) } : {}),
    });
    return { ok: response.status < 300, detail: response.text };
  };
const viaGraphQL =
  (
    query: string,
    variables?: (u: SignedUp) => Record<string, unknown> | Promise<Record<string, unknown>>,
  ): Call =>
  async (user) => {
    const result = await server.graphql(query, await variables?.(user), user.token);
    return { ok: result.errors === undefined, detail: result.text };
  };

const PROFILE = { name: 'Twin', jobTitle: 'PM', bio: 'Same', preferredStyle: 'lean' };
const ONBOARDING = {
  fullName: 'Twin Name',
  jobTitle: 'Lead',
  company: 'Twin Co',
  useCase: 'Specs',
  teamSize: 'small',
  prdStyle: 'lean',
  interests: ['exports', 'ai-chat'],
  createOrg: true,
};
const invitees = ['alpha', 'beta'];
const invites = () => invitees.map((who) => uniqueEmail(who));

async function firstKeyId(user: SignedUp): Promise<string> {
  const [row] = await server.sql<{ id: string }>('select id from api_keys where user_id = ?', [
    user.id,
  ]);
  return row?.id ?? 'key_missing';
}

const CASES: [string, Call, Call][] = [
  [
    'PATCH /api/user/profile = updateProfile',
    viaRest('PATCH', '/api/user/profile', () => ({
      ...PROFILE,
      avatar: 'https://example.com/t.png',
    })),
    viaGraphQL('mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { id } }', () => ({
      i: { ...PROFILE, avatarUrl: 'https://example.com/t.png' },
    })),
  ],
  [
    'PATCH /api/users/profile = updateProfile',
    viaRest('PATCH', '/api/users/profile', () => ({ name: 'Snake', avatar_url: null })),
    viaGraphQL('mutation { updateProfile(input: {name: "Snake", avatarUrl: null}) { id } }'),
  ],
  [
    'PATCH /api/user/timezone = updateTimezone',
    viaRest('PATCH', '/api/user/timezone', () => ({ timezone: 'Asia/Calcutta' })),
    viaGraphQL('mutation { updateTimezone(timezone: "Asia/Calcutta") { timezone } }'),
  ],
  [
    'POST /api/user/api-keys = addApiKey',
    viaRest('POST', '/api/user/api-keys', () => ({
      provider: 'gemini',
      key: 'AIzaTwinTwinTwinTwin1234',
      name: 'G',
    })),
    viaGraphQL(
      'mutation { addApiKey(input: {provider: gemini, key: "AIzaTwinTwinTwinTwin1234", name: "G"}) { id } }',
    ),
  ],
  [
    'DELETE /api/user/api-keys/{keyId} = removeApiKey',
    async (user) => viaRest('DELETE', `/api/user/api-keys/${await firstKeyId(user)}`)(user),
    viaGraphQL('mutation($id: ID!) { removeApiKey(id: $id) { id } }', async (user) => ({
      id: await firstKeyId(user),
    })),
  ],
  [
    'POST /api/user/onboarding = completeOnboarding',
    viaRest('POST', '/api/user/onboarding', () => ({ ...ONBOARDING, inviteEmails: invites() })),
    viaGraphQL(
      'mutation($i: CompleteOnboardingInput!) { completeOnboarding(input: $i) { onboarding { completed } } }',
      () => ({
        i: { ...ONBOARDING, inviteEmails: invites() },
      }),
    ),
  ],
  [
    'POST /api/user/activity = recordActivity',
    viaRest('POST', '/api/user/activity'),
    viaGraphQL('mutation { recordActivity { recorded } }'),
  ],
  [
    'PATCH /api/users/password = changePassword',
    viaRest('PATCH', '/api/users/password', (u) => ({
      current_password: u.password,
      new_password: 'Twin-Passw0rd-2',
    })),
    viaGraphQL(
      'mutation($i: ChangePasswordInput!) { changePassword(input: $i) { message } }',
      (u) => ({
        i: { currentPassword: u.password, newPassword: 'Twin-Passw0rd-2' },
      }),
    ),
  ],
];

describe('each REST call leaves the state its GraphQL twin leaves', () => {
  const viaRestUser = {} as SignedUp;
  const viaGraphQLUser = {} as SignedUp;
  beforeAll(async () => {
    Object.assign(viaRestUser, await signUp(server));
    Object.assign(viaGraphQLUser, await signUp(server));
  });

  it.each(CASES)('%s', async (_name, restCall, graphqlCall) => {
    const [a, b] = [await restCall(viaRestUser), await graphqlCall(viaGraphQLUser)];
    expect([a.ok, b.ok]).toEqual([true, true]);
    expect(await state(viaRestUser)).toEqual(await state(viaGraphQLUser));
  });

  it('both new passwords work', async () => {
    for (const user of [viaRestUser, viaGraphQLUser]) {
      const result = await server.graphql(CREATE_TOKEN, {
        input: { email: user.email, password: 'Twin-Passw0rd-2' },
      });
      expect(result.errors).toBeUndefined();
    }
  });

  it('DELETE /api/user/delete-account = deleteAccount', async () => {
    const [a, b] = [await signUp(server), await signUp(server)];
    expect(
      (await viaRest('DELETE', '/api/user/delete-account', (u) => ({ confirmEmail: u.email }))(a))
        .ok,
    ).toBe(true);
    expect(
      (
        await viaGraphQL(
          'mutation($e: String!) { deleteAccount(confirmEmail: $e) { message } }',
          (u) => ({ e: u.email }),
        )(b)
      ).ok,
    ).toBe(true);
    expect(await state(a)).toEqual(await state(b));
    expect((await state(a))['user']).toEqual([]);
  });
});
