import { TOKEN_SCOPES, type TokenScope } from '../src/auth/scopes';
import { ROUTES } from '../src/rest/routes';
import { buildGraphQLSchema } from '../src/schema';
import { startTestServer, type TestServer } from './helpers/app';
import { ONBOARDING_EXAMPLE } from './helpers/documents';
import { PASSWORD, signUp, type SignedUp } from './helpers/factories';
import { RestClient } from './helpers/rest';

/*
 * Scopes, table-driven over the schema: every root field declares its scope
 * (or that it is public), every mutation is tried with a token lacking that
 * scope (FORBIDDEN, nothing changes) and with a token holding only it (let
 * through), and the REST face follows the operation each path runs.
 */

let server: TestServer;
const RATE_LIMITS = 'passwordAttempts=500/900,tokenCreation=500/3600,signUpPerAddress=500/3600';
beforeAll(async () => {
  server = await startTestServer({ RATE_LIMITS });
});
afterAll(async () => {
  await server.close();
});

/** Each non-public root field with an operation that calls it with valid arguments. */
const OPERATIONS: Record<string, { document: string; variables?: Record<string, unknown> }> = {
  viewer: { document: '{ viewer { id } }' },
  updateProfile: {
    document: 'mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { name } }',
    variables: { input: { name: 'Scoped Name' } },
  },
  updateTimezone: {
    document: 'mutation { updateTimezone(timezone: "Europe/Paris") { timezone } }',
  },
  completeOnboarding: {
    document:
      'mutation($input: CompleteOnboardingInput!) { completeOnboarding(input: $input) { onboarding { completed } } }',
    variables: { input: ONBOARDING_EXAMPLE },
  },
  recordActivity: { document: 'mutation { recordActivity { recorded } }' },
  addApiKey: {
    document: 'mutation($input: AddApiKeyInput!) { addApiKey(input: $input) { id } }',
    variables: { input: { provider: 'openai', key: 'sk-proj-scopes-test-c123' } },
  },
  removeApiKey: { document: 'mutation { removeApiKey(id: "key_unknown") { id } }' },
  validateApiKey: { document: 'mutation { validateApiKey(id: "key_unknown") { id } }' },
  changePassword: {
    document:
      'mutation($input: ChangePasswordInput!) { changePassword(input: $input) { message } }',
    variables: { input: { currentPassword: PASSWORD, newPassword: 'Scoped-Passw0rd' } },
  },
  exportData: { document: 'mutation { exportData }' },
  requestEmailVerification: { document: 'mutation { requestEmailVerification }' },
  requestEmailChange: {
    document: 'mutation($input: RequestEmailChangeInput!) { requestEmailChange(input: $input) }',
    variables: { input: { newEmail: 'scoped-change@example.com', currentPassword: PASSWORD } },
  },
  deleteAccount: {
    document: 'mutation($email: String!) { deleteAccount(confirmEmail: $email) { message } }',
  },
  revokeAccessToken: { document: 'mutation { revokeAccessToken(id: "tok_unknown") { id } }' },
  revokeOtherAccessTokens: { document: 'mutation { revokeOtherAccessTokens { revokedCount } }' },
  // Organizations (issue 17): unknown ids, so that the let-through call is NOT_FOUND, not a change.
  inviteMembers: {
    document:
      'mutation { inviteMembers(input: {organizationId: "org_unknown", emails: ["x@example.com"]}) { invitations { id } } }',
  },
  revokeInvitation: { document: 'mutation { revokeInvitation(id: "inv_unknown") { id } }' },
  resendInvitation: { document: 'mutation { resendInvitation(id: "inv_unknown") { id } }' },
  acceptInvitation: { document: 'mutation { acceptInvitation(token: "unknown") { id } }' },
  acceptInvitationById: {
    document: 'mutation { acceptInvitationById(id: "inv_unknown") { id } }',
  },
  declineInvitationById: {
    document: 'mutation { declineInvitationById(id: "inv_unknown") { id } }',
  },
  updateMemberRole: {
    document:
      'mutation { updateMemberRole(input: {membershipId: "mem_unknown", role: admin}) { id } }',
  },
  removeMember: { document: 'mutation { removeMember(membershipId: "mem_unknown") { id } }' },
  leaveOrganization: { document: 'mutation { leaveOrganization(organizationId: "org_unknown") }' },
  transferOwnership: {
    document:
      'mutation { transferOwnership(input: {organizationId: "org_unknown", membershipId: "mem_unknown"}) { id } }',
  },
};

/**
 * Federation's own root fields (issue 21), added by @apollo/subgraph outside
 * type-graphql: `_service` answers the SDL, `_entities` authorizes itself in
 * its reference resolvers. Listed, so that any other undeclared field fails.
 */
const FEDERATION_FIELDS = ['_entities', '_service'];

/** What each root field declares: its scope, or public. */
async function declarations(): Promise<Map<string, TokenScope | 'public' | undefined>> {
  const schema = await buildGraphQLSchema();
  const out = new Map<string, TokenScope | 'public' | undefined>();
  for (const root of [schema.getQueryType(), schema.getMutationType()]) {
    for (const field of Object.values(root?.getFields() ?? {})) {
      if (FEDERATION_FIELDS.includes(field.name)) continue;
      const { requiredScope, public: isPublic } = field.extensions as {
        requiredScope?: TokenScope;
        public?: boolean;
      };
      out.set(field.name, isPublic === true ? 'public' : requiredScope);
    }
  }
  return out;
}

async function tokenWith(user: SignedUp, scopes: readonly TokenScope[]): Promise<string> {
  const result = await server.graphql<{ createAccessToken: { token: string } }>(
    'mutation($input: CreateAccessTokenInput!) { createAccessToken(input: $input) { token } }',
    { input: { email: user.email, password: PASSWORD, scopes } },
  );
  if (!result.data) throw new Error(`sign-in failed: ${result.text}`);
  return result.data.createAccessToken.token;
}

async function growthUser(): Promise<SignedUp> {
  const user = await signUp(server);
  await server.sql("update users set plan = 'growth' where id = ?", [user.id]);
  return user;
}

describe('every root field', () => {
  it('declares its scope or that it is public', async () => {
    const undeclared = [...(await declarations())]
      .filter(([, scope]) => scope !== 'public' && !TOKEN_SCOPES.includes(scope as TokenScope))
      .map(([name]) => name);
    expect(undeclared).toEqual([]);
  });

  it('that needs a token is in this table (so that the tests below try it)', async () => {
    const scoped = [...(await declarations())]
      .filter(([, scope]) => scope !== 'public')
      .map(([name]) => name)
      .sort();
    expect(Object.keys(OPERATIONS).sort()).toEqual(scoped);
  });

  it('signing up and in, and what a mailed link carries, are the public ones', async () => {
    const open = [...(await declarations())].filter(([, s]) => s === 'public').map(([n]) => n);
    expect(open.sort()).toEqual([
      'confirmEmailChange',
      'createAccessToken',
      'declineInvitation',
      'requestPasswordReset',
      'resetPassword',
      'signUp',
      'verifyEmail',
    ]);
  });
});

describe('each operation', () => {
  it.each(Object.keys(OPERATIONS))(
    '%s: refused without its scope, let through with only it',
    async (name) => {
      const scope = (await declarations()).get(name) as TokenScope;
      const { document, variables = {} } = OPERATIONS[name]!;
      const user = await growthUser();
      const vars = name === 'deleteAccount' ? { email: user.email } : variables;
      const lacking = await tokenWith(
        user,
        TOKEN_SCOPES.filter((s) => s !== scope),
      );
      const before = await server.sql(
        'select name, timezone, updated_at, password_hash from users where id = ?',
        [user.id],
      );
      const keysBefore = await server.sql(
        'select count(*)::int as n from api_keys where user_id = ?',
        [user.id],
      );

      const refused = await server.graphql(document, vars, lacking);
      expect(refused.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN', requiredScope: scope });
      expect(refused.errors?.[0]?.message).toContain(scope);
      // Nothing changed.
      expect(
        await server.sql(
          'select name, timezone, updated_at, password_hash from users where id = ?',
          [user.id],
        ),
      ).toEqual(before);
      expect(
        await server.sql('select count(*)::int as n from api_keys where user_id = ?', [user.id]),
      ).toEqual(keysBefore);
      expect(
        await server.sql(
          'select count(*)::int as n from access_tokens where user_id = ? and revoked_at is null',
          [user.id],
        ),
      ).toEqual([{ n: 2 }]);

      const only = await tokenWith(user, [scope]);
      const allowed = await server.graphql(document, vars, only);
      expect(allowed.errors?.[0]?.extensions['code']).not.toBe('FORBIDDEN');
      expect(allowed.errors?.[0]?.extensions['code']).not.toBe('UNAUTHENTICATED');
    },
  );
});

describe('a read-only token (ACCOUNT_READ)', () => {
  it('reads the whole viewer', async () => {
    const user = await growthUser();
    const token = await tokenWith(user, ['ACCOUNT_READ']);
    const whole = await server.graphql(
      `{ viewer { id profile { email name timezone plan } accessTokens { id scopes current expiresAt }
         apiKeys { id } onboarding { completed } onboardingProgress { completedCount }
         planLimits { plan activeAccessTokens } organizations { role } } }`,
      {},
      token,
    );
    expect(whole.errors).toBeUndefined();
    const tokens = (
      whole.data as { viewer: { accessTokens: { scopes: string[]; current: boolean }[] } }
    ).viewer.accessTokens;
    expect(tokens.find((t) => t.current)?.scopes).toEqual(['ACCOUNT_READ']);
  });

  it('gets every REST GET but the data export, and 403 on every write', async () => {
    const user = await growthUser();
    const token = await tokenWith(user, ['ACCOUNT_READ']);
    const rest = new RestClient(server);
    /** The scope each path needs beyond ACCOUNT_READ: that of the operation it runs. */
    const needs: Record<string, TokenScope> = {
      'PATCH /api/user/profile': 'ACCOUNT_WRITE',
      'POST /api/user/api-keys': 'API_KEYS_WRITE',
      'DELETE /api/user/api-keys/:keyId': 'API_KEYS_WRITE',
      'PATCH /api/user/timezone': 'ACCOUNT_WRITE',
      'POST /api/user/onboarding': 'ACCOUNT_WRITE',
      'POST /api/user/activity': 'ACCOUNT_WRITE',
      'GET /api/user/data-export': 'SENSITIVE',
      'DELETE /api/user/delete-account': 'SENSITIVE',
      'PATCH /api/users/profile': 'ACCOUNT_WRITE',
      'PATCH /api/users/password': 'SENSITIVE',
    };
    for (const route of ROUTES) {
      const key = `${route.method} ${route.path}`;
      const path = route.path.replace(':keyId', 'key_unknown');
      const answer = await rest.request(route.method, path, {
        token,
        ...(route.body ? { body: {} } : {}),
      });
      const scope = needs[key];
      if (!scope) {
        expect([key, answer.status]).toEqual([key, 200]);
        continue;
      }
      expect([key, answer.status]).toEqual([key, 403]);
      expect(answer.body).toEqual({
        error: { code: 'FORBIDDEN', message: expect.stringContaining(scope) as unknown },
      });
      expect(answer.headers.get('www-authenticate')).toBe(
        `Bearer error="insufficient_scope", scope="${scope}"`,
      );
    }
    expect(
      ROUTES.filter((r) => r.method === 'GET' && r.path !== '/api/user/data-export').length,
    ).toBeGreaterThan(4);
  });

  it('REST checks the scope before the input: an invalid body still gets 403', async () => {
    const user = await growthUser();
    const token = await tokenWith(user, ['ACCOUNT_READ']);
    const answer = await new RestClient(server).request('PATCH', '/api/user/profile', {
      token,
      body: { avatar: 'not a url' },
    });
    expect(answer.status).toBe(403);
    expect(answer.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", scope="ACCOUNT_WRITE"',
    );
  });

  it('scopes: an empty list is refused, an unknown scope too', async () => {
    const user = await growthUser();
    const empty = await server.graphql(
      'mutation($input: CreateAccessTokenInput!) { createAccessToken(input: $input) { token } }',
      { input: { email: user.email, password: PASSWORD, scopes: [] } },
    );
    expect(empty.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'scopes' });
    const unknown = await server.graphql(
      'mutation($input: CreateAccessTokenInput!) { createAccessToken(input: $input) { token } }',
      { input: { email: user.email, password: PASSWORD, scopes: ['ADMIN'] } },
    );
    expect(unknown.errors?.[0]?.extensions['code']).toBe('BAD_USER_INPUT');
    expect(
      await server.sql('select count(*)::int as n from access_tokens where user_id = ?', [user.id]),
    ).toEqual([{ n: 1 }]);
  });
});
