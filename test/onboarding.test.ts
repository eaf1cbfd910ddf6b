import { startTestServer, type TestServer } from './helpers/app';
import { ONBOARDING_EXAMPLE } from './helpers/documents';
import { signUp, uniqueEmail } from './helpers/factories';

const COMPLETE = /* GraphQL */ `
  mutation Complete($input: CompleteOnboardingInput!) {
    completeOnboarding(input: $input) {
      onboarding {
        completed
        completedAt
        preferences {
          company
          useCase
          teamSize
          prdStyle
          interests
        }
      }
      organization {
        id
        name
        viewerRole
        memberCount
      }
      invitations {
        id
        email
        status
      }
      viewer {
        profile {
          name
          jobTitle
          preferredStyle
        }
      }
    }
  }
`;
const STATUS = /* GraphQL */ `
  {
    viewer {
      onboarding {
        completed
        completedAt
        preferences {
          company
          useCase
          teamSize
          prdStyle
          interests
        }
      }
      organizations {
        role
        organization {
          id
          name
          viewerRole
          memberCount
          invitations {
            nodes {
              email
              status
            }
          }
        }
      }
    }
  }
`;

interface Payload {
  completeOnboarding: {
    onboarding: { completed: boolean; completedAt: string; preferences: Record<string, unknown> };
    organization: { id: string; name: string; viewerRole: string; memberCount: number } | null;
    invitations: { id: string; email: string; status: string }[];
    viewer: { profile: Record<string, unknown> };
  };
}

let server: TestServer;
let second: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  second = await startTestServer();
});
afterAll(async () => {
  await Promise.all([server.close(), second.close()]);
});

const count = async (sql: string, params: unknown[]) =>
  (await server.sql<{ n: number }>(`select count(*)::int as n ${sql}`, params))[0]?.n ?? -1;

describe('onboarding status', () => {
  it('is not completed before completion', async () => {
    const user = await signUp(server);
    const result = await server.graphql(STATUS, {}, user.token);
    expect(result.data).toEqual({
      viewer: {
        onboarding: { completed: false, completedAt: null, preferences: null },
        organizations: [],
      },
    });
  });
});

describe('completeOnboarding', () => {
  it('stores the answers and fills the profile (documented example)', async () => {
    const user = await signUp(server);
    const result = await server.graphql<Payload>(
      COMPLETE,
      { input: ONBOARDING_EXAMPLE },
      user.token,
    );

    expect(result.errors).toBeUndefined();
    const payload = result.data!.completeOnboarding;
    expect(payload.onboarding).toEqual({
      completed: true,
      completedAt: expect.any(String) as unknown,
      preferences: {
        company: 'Acme Corp',
        useCase: 'Product requirements',
        teamSize: 'medium',
        prdStyle: 'comprehensive',
        interests: ['ai-chat', 'templates', 'exports'],
      },
    });
    expect(payload.organization).toBeNull();
    expect(payload.viewer.profile).toEqual({
      name: 'Jane Smith',
      jobTitle: 'Product Manager',
      preferredStyle: 'comprehensive',
    });
    expect(await count('from organizations where created_by_id = ?', [user.id])).toBe(0);
  });

  it('creates an organization with the viewer as owner and one pending invitation per distinct teammate', async () => {
    const user = await signUp(server);
    const teammate = uniqueEmail('teammate');
    const result = await server.graphql<Payload>(
      COMPLETE,
      {
        input: {
          ...ONBOARDING_EXAMPLE,
          createOrg: true,
          inviteEmails: [
            teammate,
            teammate.toUpperCase(),
            ` ${teammate} `,
            user.email,
            uniqueEmail('other'),
          ],
        },
      },
      user.token,
    );

    expect(result.errors).toBeUndefined();
    const payload = result.data!.completeOnboarding;
    expect(payload.organization).toMatchObject({
      name: 'Acme Corp',
      viewerRole: 'owner',
      memberCount: 1,
    });
    expect(payload.organization!.id).toMatch(/^org_/);
    expect(payload.invitations).toHaveLength(2);
    expect(
      payload.invitations.every((i) => i.id.startsWith('inv_') && i.status === 'pending'),
    ).toBe(true);
    expect(payload.invitations.map((i) => i.email)).toContain(teammate);

    const status = await server.graphql<{ viewer: { organizations: unknown[] } }>(
      STATUS,
      {},
      user.token,
    );
    expect(status.data!.viewer.organizations).toEqual([
      {
        role: 'owner',
        organization: expect.objectContaining({
          id: payload.organization!.id,
          viewerRole: 'owner',
          memberCount: 1,
          invitations: {
            nodes: expect.arrayContaining([{ email: teammate, status: 'pending' }]) as unknown,
          },
        }) as unknown,
      },
    ]);
  });

  it('names the organization orgName when given', async () => {
    const user = await signUp(server);
    const result = await server.graphql<Payload>(
      COMPLETE,
      { input: { ...ONBOARDING_EXAMPLE, createOrg: true, orgName: 'Acme Product Team' } },
      user.token,
    );
    expect(result.data!.completeOnboarding.organization?.name).toBe('Acme Product Team');
  });

  it('updates the answers on repeat and never duplicates the organization or an invitation', async () => {
    const user = await signUp(server);
    const teammate = uniqueEmail('teammate');
    const first = await server.graphql<Payload>(
      COMPLETE,
      { input: { ...ONBOARDING_EXAMPLE, createOrg: true, inviteEmails: [teammate] } },
      user.token,
    );
    const again = await server.graphql<Payload>(
      COMPLETE,
      {
        input: {
          ...ONBOARDING_EXAMPLE,
          teamSize: 'large',
          interests: ['exports'],
          createOrg: true,
          inviteEmails: [teammate, uniqueEmail('new')],
        },
      },
      user.token,
    );

    const a = first.data!.completeOnboarding;
    const b = again.data!.completeOnboarding;
    expect(b.organization?.id).toBe(a.organization?.id);
    expect(b.onboarding.completedAt).toBe(a.onboarding.completedAt);
    expect(b.onboarding.preferences).toMatchObject({ teamSize: 'large', interests: ['exports'] });
    expect(b.invitations).toHaveLength(1); // only the new teammate
    expect(await count('from organizations where created_by_id = ?', [user.id])).toBe(1);
    expect(await count('from invitations where invited_by_id = ?', [user.id])).toBe(2);
  });

  it('creates one organization when two completions race on two instances', async () => {
    const user = await signUp(server);
    const teammates = [uniqueEmail('race'), uniqueEmail('race')];
    const input = { ...ONBOARDING_EXAMPLE, createOrg: true, inviteEmails: teammates };
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? second : server).graphql<Payload>(COMPLETE, { input }, user.token),
      ),
    );

    expect(results.map((r) => r.errors)).toEqual(Array(6).fill(undefined));
    expect(new Set(results.map((r) => r.data!.completeOnboarding.organization?.id)).size).toBe(1);
    expect(await count('from organizations where created_by_id = ?', [user.id])).toBe(1);
    expect(await count('from memberships where user_id = ?', [user.id])).toBe(1);
    expect(await count('from invitations where invited_by_id = ?', [user.id])).toBe(2);
    expect(await count('from onboardings where user_id = ?', [user.id])).toBe(1);
  });

  it('refuses an invalid invite email, naming it, and changes nothing', async () => {
    const user = await signUp(server);
    const result = await server.graphql(
      COMPLETE,
      {
        input: {
          ...ONBOARDING_EXAMPLE,
          createOrg: true,
          inviteEmails: [uniqueEmail(), 'not-an-email'],
        },
      },
      user.token,
    );
    expect(result.errors?.[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'inviteEmails',
    });
    expect(result.errors?.[0]?.message).toContain('"not-an-email"');
    expect(await count('from onboardings where user_id = ?', [user.id])).toBe(0);
    expect(await count('from organizations where created_by_id = ?', [user.id])).toBe(0);
    const [row] = await server.sql('select job_title from users where id = ?', [user.id]);
    expect(row).toEqual({ job_title: null });
  });

  it('refuses invitations without an organization to invite to', async () => {
    const user = await signUp(server);
    const result = await server.graphql(
      COMPLETE,
      { input: { ...ONBOARDING_EXAMPLE, inviteEmails: [uniqueEmail()] } },
      user.token,
    );
    expect(result.errors?.[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'inviteEmails',
    });
    expect(await count('from onboardings where user_id = ?', [user.id])).toBe(0);
  });

  it('refuses more than 50 invitations', async () => {
    const user = await signUp(server);
    const inviteEmails = Array.from({ length: 51 }, () => uniqueEmail('many'));
    const result = await server.graphql(
      COMPLETE,
      { input: { ...ONBOARDING_EXAMPLE, createOrg: true, inviteEmails } },
      user.token,
    );
    expect(result.errors?.[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'inviteEmails',
    });
  });

  it.each([
    ['fullName', ''],
    ['jobTitle', '  '],
    ['company', 'c'.repeat(256)],
    ['useCase', 'u'.repeat(501)],
    ['teamSize', 't'.repeat(51)],
    ['prdStyle', 'p'.repeat(65)],
    ['interests', Array.from({ length: 21 }, (_, i) => `i${i}`)],
    ['interests', ['x'.repeat(65)]],
    ['orgName', 'o'.repeat(256)],
  ])('refuses an invalid %s and changes nothing', async (field, value) => {
    const user = await signUp(server);
    const result = await server.graphql(
      COMPLETE,
      { input: { ...ONBOARDING_EXAMPLE, createOrg: true, [field]: value } },
      user.token,
    );
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field });
    expect(await count('from onboardings where user_id = ?', [user.id])).toBe(0);
  });

  it.each(['fullName', 'jobTitle', 'company', 'useCase', 'teamSize', 'prdStyle', 'interests'])(
    'requires %s',
    async (field) => {
      const user = await signUp(server);
      const input: Record<string, unknown> = { ...ONBOARDING_EXAMPLE };
      delete input[field];
      const result = await server.graphql(COMPLETE, { input }, user.token);
      expect(result.status).toBe(400);
      expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field });
    },
  );
});
