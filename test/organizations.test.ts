import { createHash, randomBytes } from 'node:crypto';
import { startTestServer, type TestServer } from './helpers/app';
import { signUp, uniqueEmail, type SignedUp } from './helpers/factories';
import {
  acceptById,
  createOrganization,
  invite,
  INVITATION_FIELDS,
  markVerified,
  type InvitationView,
  type RoleName,
} from './helpers/organizations';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

interface Member {
  id: string;
  role: RoleName;
  joinedAt: string;
  user: { id: string; name: string; email: string; avatarUrl: string | null };
}

interface Team {
  orgId: string;
  owner: SignedUp;
  ownerMembership: string;
  /** role -> signed-up user and membership id */
  admin: SignedUp & { membershipId: string };
  member: SignedUp & { membershipId: string };
}

/** A verified user who joins `orgId` with `role` through a real invitation. */
async function join(orgId: string, inviter: SignedUp, role: RoleName) {
  const user = await signUp(server, { email: uniqueEmail(role), name: `The ${role}` });
  await markVerified(server, user.id);
  const [invitation] = await invite(server, inviter.token, orgId, [user.email], role);
  const membershipId = await acceptById(server, user.token, invitation!.id);
  return { ...user, membershipId };
}

async function team(): Promise<Team> {
  const owner = await signUp(server, { name: 'The owner' });
  const orgId = await createOrganization(server, owner.token, 'Team');
  const [row] = await server.sql<{ id: string }>(
    'select id from memberships where organization_id = ? and user_id = ?',
    [orgId, owner.id],
  );
  const admin = await join(orgId, owner, 'admin');
  const member = await join(orgId, owner, 'member');
  return { orgId, owner, ownerMembership: row!.id, admin, member };
}

async function roles(orgId: string): Promise<Record<string, string>> {
  const rows = await server.sql<{ user_id: string; role: string }>(
    'select user_id, role from memberships where organization_id = ?',
    [orgId],
  );
  return Object.fromEntries(rows.map((row) => [row.user_id, row.role]));
}

const MEMBERS = /* GraphQL */ `
  query ($first: Int, $after: String) {
    viewer {
      organizations {
        role
        organization {
          id
          memberCount
          members(first: $first, after: $after) {
            totalCount
            pageInfo {
              hasNextPage
              endCursor
            }
            edges {
              cursor
              node {
                id
                role
                joinedAt
                user {
                  id
                  name
                  email
                  avatarUrl
                }
              }
            }
          }
        }
      }
    }
  }
`;

interface MembersData {
  viewer: {
    organizations: {
      role: RoleName;
      organization: {
        id: string;
        memberCount: number;
        members: {
          totalCount: number;
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
          edges: { cursor: string; node: Member }[];
        };
      };
    }[];
  };
}

async function membersOf(token: string, orgId: string, first?: number, after?: string) {
  const result = await server.graphql<MembersData>(MEMBERS, { first, after }, token);
  if (!result.data?.viewer) return { errors: result.errors, page: undefined };
  const org = result.data.viewer.organizations.find((m) => m.organization.id === orgId);
  return { errors: result.errors, page: org?.organization.members };
}

const UPDATE_ROLE =
  'mutation($input: UpdateMemberRoleInput!) { updateMemberRole(input: $input) { id role user { id } organization { id viewerRole } } }';
const REMOVE = 'mutation($id: ID!) { removeMember(membershipId: $id) { id user { id } } }';
const LEAVE = 'mutation($id: ID!) { leaveOrganization(organizationId: $id) }';
const TRANSFER =
  'mutation($input: TransferOwnershipInput!) { transferOwnership(input: $input) { id viewerRole } }';
const REVOKE = `mutation($id: ID!) { revokeInvitation(id: $id) { ${INVITATION_FIELDS} } }`;
const RESEND = `mutation($id: ID!) { resendInvitation(id: $id) { ${INVITATION_FIELDS} } }`;
const ACCEPT =
  'mutation($token: String!) { acceptInvitation(token: $token) { id role organization { id } } }';
const ACCEPT_BY_ID =
  'mutation($id: ID!) { acceptInvitationById(id: $id) { id role organization { id name viewerRole } } }';
const DECLINE = `mutation($token: String!) { declineInvitation(token: $token) { ${INVITATION_FIELDS} } }`;
const DECLINE_BY_ID = `mutation($id: ID!) { declineInvitationById(id: $id) { ${INVITATION_FIELDS} } }`;
const RECEIVED = `{ viewer { invitations { ${INVITATION_FIELDS} } } }`;
const INVITE = `mutation($input: InviteMembersInput!) { inviteMembers(input: $input) { invitations { ${INVITATION_FIELDS} } skippedEmails } }`;

function code(result: { errors?: { extensions: Record<string, unknown> }[] }): unknown {
  return result.errors?.[0]?.extensions['code'];
}

/** A code of the accept link, stored as the invitation's (as a mail would carry it). */
async function issueCode(invitationId: string): Promise<string> {
  const value = randomBytes(32).toString('base64url');
  await server.sql('update invitations set token_hash = ? where id = ?', [
    createHash('sha256').update(value).digest('hex'),
    invitationId,
  ]);
  return value;
}

describe('invitations', () => {
  it('invite → the verified invitee sees it → accepts → both see each other with their roles', async () => {
    const owner = await signUp(server, { name: 'Olivia Owner' });
    const orgId = await createOrganization(server, owner.token, 'Acme Journey');
    const invitee = await signUp(server, { email: uniqueEmail('Invitee'), name: 'Ivan Invitee' });

    const [made] = await invite(
      server,
      owner.token,
      orgId,
      [`  ${invitee.email.toUpperCase()} `],
      'admin',
    );
    expect(made).toMatchObject({
      email: invitee.email,
      role: 'admin',
      status: 'pending',
      organizationId: orgId,
      organizationName: 'Acme Journey',
      inviterName: 'Owner', // onboarding's fullName
    });
    const days = (Date.parse(made!.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(13.9);
    expect(days).toBeLessThanOrEqual(14);

    // Not verified yet: nothing to see, and accepting is FORBIDDEN with nothing changed.
    expect((await server.graphql(RECEIVED, {}, invitee.token)).data).toEqual({
      viewer: { invitations: [] },
    });
    const early = await server.graphql(ACCEPT_BY_ID, { id: made!.id }, invitee.token);
    expect(code(early)).toBe('FORBIDDEN');
    expect(await roles(orgId)).toEqual({ [owner.id]: 'owner' });

    await markVerified(server, invitee.id);
    const received = await server.graphql<{ viewer: { invitations: InvitationView[] } }>(
      RECEIVED,
      {},
      invitee.token,
    );
    expect(received.data!.viewer.invitations).toEqual([made]);

    const accepted = await server.graphql(ACCEPT_BY_ID, { id: made!.id }, invitee.token);
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data).toEqual({
      acceptInvitationById: {
        id: expect.stringMatching(/^mem_/) as unknown,
        role: 'admin',
        organization: { id: orgId, name: 'Acme Journey', viewerRole: 'admin' },
      },
    });
    expect(await roles(orgId)).toEqual({ [owner.id]: 'owner', [invitee.id]: 'admin' });
    expect((await server.graphql(RECEIVED, {}, invitee.token)).data).toEqual({
      viewer: { invitations: [] },
    });

    for (const [who, viewerRole] of [
      [owner, 'owner'],
      [invitee, 'admin'],
    ] as const) {
      const result = await server.graphql<MembersData>(MEMBERS, {}, who.token);
      const [membership] = result.data!.viewer.organizations;
      expect(membership!.role).toBe(viewerRole);
      expect(membership!.organization.members.edges.map((edge) => edge.node)).toEqual([
        expect.objectContaining({
          role: 'owner',
          user: { id: owner.id, name: 'Owner', email: owner.email, avatarUrl: null },
        }),
        expect.objectContaining({
          role: 'admin',
          user: { id: invitee.id, name: 'Ivan Invitee', email: invitee.email, avatarUrl: null },
        }),
      ]);
    }
    const [row] = await server.sql<{ status: string }>(
      'select status from invitations where id = ?',
      [made!.id],
    );
    expect(row!.status).toBe('accepted');
  });

  it('accepts by the link code only for the verified invited address; twice gives one membership', async () => {
    const owner = await signUp(server);
    const orgId = await createOrganization(server, owner.token, 'By Code');
    const invitee = await signUp(server);
    const stranger = await signUp(server);
    await markVerified(server, stranger.id);
    const [made] = await invite(server, owner.token, orgId, [invitee.email]);
    const token = await issueCode(made!.id);

    expect(code(await server.graphql(ACCEPT, { token }, stranger.token))).toBe('FORBIDDEN');
    expect(code(await server.graphql(ACCEPT, { token }, invitee.token))).toBe('FORBIDDEN');
    expect(await roles(orgId)).toEqual({ [owner.id]: 'owner' });

    const bad = await server.graphql(
      ACCEPT,
      { token: token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A') },
      invitee.token,
    );
    expect(bad.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'token' });
    expect(bad.text).not.toContain(token.slice(0, 20));

    await markVerified(server, invitee.id);
    const first = await server.graphql<{ acceptInvitation: { id: string } }>(
      ACCEPT,
      { token },
      invitee.token,
    );
    const second = await server.graphql<{ acceptInvitation: { id: string } }>(
      ACCEPT,
      { token },
      invitee.token,
    );
    expect(first.errors).toBeUndefined();
    expect(second.data).toEqual(first.data);
    expect(await roles(orgId)).toEqual({ [owner.id]: 'owner', [invitee.id]: 'member' });
    // The code is stored only as its hash.
    const [row] = await server.sql<{ token_hash: string }>(
      'select token_hash from invitations where id = ?',
      [made!.id],
    );
    expect(row!.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(
      JSON.stringify(await server.sql('select * from invitations where id = ?', [made!.id])),
    ).not.toContain(token);
  });

  it('declines by code without an account, and by id; a declined invitation cannot be accepted', async () => {
    const owner = await signUp(server);
    const orgId = await createOrganization(server, owner.token, 'Declines');
    const invitee = await signUp(server);
    await markVerified(server, invitee.id);
    const [one, two] = await invite(server, owner.token, orgId, [
      invitee.email,
      uniqueEmail('nobody'),
    ]);
    const byMail = [one, two].find((inv) => inv!.email !== invitee.email)!;
    const mine = [one, two].find((inv) => inv!.email === invitee.email)!;

    const token = await issueCode(byMail.id);
    const declined = await server.graphql<{ declineInvitation: InvitationView }>(DECLINE, {
      token,
    });
    expect(declined.data!.declineInvitation.status).toBe('declined');

    const byId = await server.graphql<{ declineInvitationById: InvitationView }>(
      DECLINE_BY_ID,
      { id: mine.id },
      invitee.token,
    );
    expect(byId.data!.declineInvitationById.status).toBe('declined');
    const late = await server.graphql(ACCEPT_BY_ID, { id: mine.id }, invitee.token);
    expect(code(late)).toBe('CONFLICT');
    expect(await roles(orgId)).toEqual({ [owner.id]: 'owner' });
  });

  it('by id, an invitation to another address is NOT_FOUND', async () => {
    const owner = await signUp(server);
    const orgId = await createOrganization(server, owner.token, 'Others');
    const [made] = await invite(server, owner.token, orgId, [uniqueEmail('someone')]);
    const nosy = await signUp(server);
    await markVerified(server, nosy.id);
    for (const doc of [ACCEPT_BY_ID, DECLINE_BY_ID]) {
      const result = await server.graphql(doc, { id: made!.id }, nosy.token);
      expect(code(result)).toBe('NOT_FOUND');
      expect(result.text).not.toContain(made!.email);
    }
    const [row] = await server.sql<{ status: string }>(
      'select status from invitations where id = ?',
      [made!.id],
    );
    expect(row!.status).toBe('pending');
  });

  it('revoke: owners and admins (admins not for owner invitations); the link stops working', async () => {
    const { orgId, owner, admin, member } = await team();
    const invitee = await signUp(server);
    await markVerified(server, invitee.id);
    const [forOwner] = await invite(server, owner.token, orgId, [uniqueEmail('co-owner')], 'owner');
    const [plain] = await invite(server, owner.token, orgId, [invitee.email]);

    expect(code(await server.graphql(REVOKE, { id: plain!.id }, member.token))).toBe('FORBIDDEN');
    expect(code(await server.graphql(REVOKE, { id: forOwner!.id }, admin.token))).toBe('FORBIDDEN');
    const outsider = await signUp(server);
    expect(code(await server.graphql(REVOKE, { id: plain!.id }, outsider.token))).toBe('NOT_FOUND');

    const token = await issueCode(plain!.id);
    const revoked = await server.graphql<{ revokeInvitation: InvitationView }>(
      REVOKE,
      { id: plain!.id },
      admin.token,
    );
    expect(revoked.data!.revokeInvitation.status).toBe('revoked');
    expect(code(await server.graphql(ACCEPT, { token }, invitee.token))).toBe('BAD_USER_INPUT');
    expect(code(await server.graphql(ACCEPT_BY_ID, { id: plain!.id }, invitee.token))).toBe(
      'CONFLICT',
    );
    expect(code(await server.graphql(REVOKE, { id: plain!.id }, owner.token))).toBe('CONFLICT');
    expect(Object.keys(await roles(orgId))).not.toContain(invitee.id);
  });

  it('expire after 14 days: gone from viewer.invitations, not acceptable, shown expired, re-invitable', async () => {
    const owner = await signUp(server);
    const orgId = await createOrganization(server, owner.token, 'Expiry');
    const invitee = await signUp(server);
    await markVerified(server, invitee.id);
    const [made] = await invite(server, owner.token, orgId, [invitee.email]);
    // Fixture: the invitation was sent 15 days ago.
    await server.sql(
      "update invitations set created_at = now() - interval '15 days', expires_at = now() - interval '1 day' where id = ?",
      [made!.id],
    );
    expect((await server.graphql(RECEIVED, {}, invitee.token)).data).toEqual({
      viewer: { invitations: [] },
    });
    const late = await server.graphql(ACCEPT_BY_ID, { id: made!.id }, invitee.token);
    expect(late.errors?.[0]?.extensions).toEqual({ code: 'CONFLICT' });
    expect(late.errors?.[0]?.message).toMatch(/expired/);

    const listed = await server.graphql<{
      viewer: { organizations: { organization: { invitations: { nodes: InvitationView[] } } }[] };
    }>(
      `{ viewer { organizations { organization { invitations { nodes { id status } } } } } }`,
      {},
      owner.token,
    );
    expect(listed.data!.viewer.organizations[0]!.organization.invitations.nodes).toEqual([
      { id: made!.id, status: 'expired' },
    ]);

    const [again] = await invite(server, owner.token, orgId, [invitee.email]);
    expect(again!.id).not.toBe(made!.id);
    expect(again!.status).toBe('pending');
    await acceptById(server, invitee.token, again!.id);
    const statuses = await server.sql<{ id: string; status: string }>(
      'select id, status from invitations where organization_id = ? order by created_at',
      [orgId],
    );
    expect(statuses).toEqual([
      { id: made!.id, status: 'expired' },
      { id: again!.id, status: 'accepted' },
    ]);
  });

  it('inviteMembers: validation, skipping, roles; nothing changes on a refusal', async () => {
    const { orgId, owner, admin, member } = await team();
    const count = async () =>
      (await server.sql('select 1 from invitations where organization_id = ?', [orgId])).length;
    const before = await count();

    const tooMany = Array.from({ length: 51 }, () => uniqueEmail('many'));
    const refused = await server.graphql(
      INVITE,
      { input: { organizationId: orgId, emails: tooMany } },
      owner.token,
    );
    expect(refused.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'emails',
    });

    const good = uniqueEmail('good');
    const invalid = await server.graphql(
      INVITE,
      { input: { organizationId: orgId, emails: [good, 'not-an-address'] } },
      owner.token,
    );
    expect(invalid.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'emails' });
    expect(invalid.errors?.[0]?.message).toContain('not-an-address');
    expect(await count()).toBe(before);

    expect(
      code(
        await server.graphql(
          INVITE,
          { input: { organizationId: orgId, emails: [good] } },
          member.token,
        ),
      ),
    ).toBe('FORBIDDEN');
    expect(
      code(
        await server.graphql(
          INVITE,
          { input: { organizationId: orgId, emails: [good], role: 'owner' } },
          admin.token,
        ),
      ),
    ).toBe('FORBIDDEN');
    const outsider = await signUp(server);
    expect(
      code(
        await server.graphql(
          INVITE,
          { input: { organizationId: orgId, emails: [good] } },
          outsider.token,
        ),
      ),
    ).toBe('NOT_FOUND');
    expect(await count()).toBe(before);

    const result = await server.graphql<{
      inviteMembers: { invitations: InvitationView[]; skippedEmails: string[] };
    }>(
      INVITE,
      {
        input: {
          organizationId: orgId,
          emails: [good, good.toUpperCase(), member.email, admin.email, owner.email],
        },
      },
      admin.token,
    );
    expect(result.data!.inviteMembers.invitations.map((inv) => inv.email)).toEqual([good]);
    expect(result.data!.inviteMembers.skippedEmails.sort()).toEqual(
      [member.email, owner.email].sort(),
    );
    const repeat = await server.graphql<{
      inviteMembers: { invitations: InvitationView[]; skippedEmails: string[] };
    }>(INVITE, { input: { organizationId: orgId, emails: [good] } }, owner.token);
    expect(repeat.data!.inviteMembers).toEqual({ invitations: [], skippedEmails: [good] });
    expect(await count()).toBe(before + 1);
  });

  it('resend: a new code supersedes the old, 14 more days, rate-limited per invitation', async () => {
    const owner = await signUp(server);
    const orgId = await createOrganization(server, owner.token, 'Resends');
    const invitee = await signUp(server);
    await markVerified(server, invitee.id);
    const [made] = await invite(server, owner.token, orgId, [invitee.email]);
    const old = await issueCode(made!.id);
    await server.sql("update invitations set expires_at = now() + interval '1 day' where id = ?", [
      made!.id,
    ]);

    const resent = await server.graphql<{ resendInvitation: InvitationView }>(
      RESEND,
      { id: made!.id },
      owner.token,
    );
    expect(resent.errors).toBeUndefined();
    expect(Date.parse(resent.data!.resendInvitation.expiresAt) - Date.now()).toBeGreaterThan(
      13.9 * 86_400_000,
    );
    expect(code(await server.graphql(ACCEPT, { token: old }, invitee.token))).toBe(
      'BAD_USER_INPUT',
    );

    for (let i = 0; i < 2; i++) {
      expect((await server.graphql(RESEND, { id: made!.id }, owner.token)).errors).toBeUndefined();
    }
    const limited = await server.graphql(RESEND, { id: made!.id }, owner.token);
    expect(code(limited)).toBe('RATE_LIMITED');
  });
});

describe('members and roles', () => {
  it('owners change any role; admins only admins and members, never to or from owner; members none', async () => {
    const { orgId, owner, ownerMembership, admin, member } = await team();
    const other = await join(orgId, owner, 'member');

    const cases: [SignedUp, string, RoleName, string][] = [
      [member, other.membershipId, 'admin', 'FORBIDDEN'],
      [member, member.membershipId, 'admin', 'FORBIDDEN'],
      [admin, ownerMembership, 'member', 'FORBIDDEN'],
      [admin, other.membershipId, 'owner', 'FORBIDDEN'],
    ];
    for (const [actor, membershipId, role, expected] of cases) {
      const before = await roles(orgId);
      const result = await server.graphql(
        UPDATE_ROLE,
        { input: { membershipId, role } },
        actor.token,
      );
      expect(code(result)).toBe(expected);
      expect(await roles(orgId)).toEqual(before);
    }

    const promoted = await server.graphql(
      UPDATE_ROLE,
      { input: { membershipId: other.membershipId, role: 'admin' } },
      admin.token,
    );
    expect(promoted.data).toEqual({
      updateMemberRole: {
        id: other.membershipId,
        role: 'admin',
        user: { id: other.id },
        organization: { id: orgId, viewerRole: 'admin' },
      },
    });
    const owned = await server.graphql(
      UPDATE_ROLE,
      { input: { membershipId: member.membershipId, role: 'owner' } },
      owner.token,
    );
    expect(owned.errors).toBeUndefined();
    expect(await roles(orgId)).toEqual({
      [owner.id]: 'owner',
      [admin.id]: 'admin',
      [member.id]: 'owner',
      [other.id]: 'admin',
    });
  });

  it('the last owner cannot be demoted, removed or leave (CONFLICT saying to transfer)', async () => {
    const { orgId, owner, ownerMembership } = await team();
    const before = await roles(orgId);
    for (const result of [
      await server.graphql(
        UPDATE_ROLE,
        { input: { membershipId: ownerMembership, role: 'admin' } },
        owner.token,
      ),
      await server.graphql(REMOVE, { id: ownerMembership }, owner.token),
      await server.graphql(LEAVE, { id: orgId }, owner.token),
    ]) {
      expect(result.errors?.[0]?.extensions).toEqual({ code: 'CONFLICT' });
      expect(result.errors?.[0]?.message).toMatch(/transfer ownership/i);
    }
    expect(await roles(orgId)).toEqual(before);
  });

  it('removeMember: owners anyone, admins not owners, members nobody; the removed lose access at once', async () => {
    const { orgId, owner, ownerMembership, admin, member } = await team();
    const other = await join(orgId, owner, 'admin');
    expect(code(await server.graphql(REMOVE, { id: other.membershipId }, member.token))).toBe(
      'FORBIDDEN',
    );
    expect(code(await server.graphql(REMOVE, { id: ownerMembership }, admin.token))).toBe(
      'FORBIDDEN',
    );
    expect(Object.keys(await roles(orgId))).toHaveLength(4);

    const removed = await server.graphql(REMOVE, { id: other.membershipId }, admin.token);
    expect(removed.data).toEqual({
      removeMember: { id: other.membershipId, user: { id: other.id } },
    });
    expect((await membersOf(other.token, orgId)).page).toBeUndefined();
    expect(code(await server.graphql(REMOVE, { id: member.membershipId }, other.token))).toBe(
      'NOT_FOUND',
    );
    expect(
      code(
        await server.graphql(
          INVITE,
          { input: { organizationId: orgId, emails: [uniqueEmail()] } },
          other.token,
        ),
      ),
    ).toBe('NOT_FOUND');

    expect(
      (await server.graphql(REMOVE, { id: admin.membershipId }, owner.token)).errors,
    ).toBeUndefined();
    expect(await roles(orgId)).toEqual({ [owner.id]: 'owner', [member.id]: 'member' });
  });

  it("another organization's memberships are NOT_FOUND to every mutation, whatever the role", async () => {
    const mine = await team();
    const theirs = await team();
    const attempts = [
      [UPDATE_ROLE, { input: { membershipId: theirs.member.membershipId, role: 'admin' } }],
      [REMOVE, { id: theirs.member.membershipId }],
      [LEAVE, { id: theirs.orgId }],
      [
        TRANSFER,
        { input: { organizationId: theirs.orgId, membershipId: theirs.member.membershipId } },
      ],
      [
        TRANSFER,
        { input: { organizationId: mine.orgId, membershipId: theirs.member.membershipId } },
      ],
      [INVITE, { input: { organizationId: theirs.orgId, emails: [uniqueEmail()] } }],
      [UPDATE_ROLE, { input: { membershipId: 'mem_doesnotexist0000000000', role: 'admin' } }],
    ] as const;
    const before = await roles(theirs.orgId);
    for (const [doc, variables] of attempts) {
      const result = await server.graphql(doc, variables, mine.owner.token);
      expect(code(result)).toBe('NOT_FOUND');
    }
    expect(await roles(theirs.orgId)).toEqual(before);
  });

  it('transferOwnership: owners only; the target becomes owner and the owner an admin', async () => {
    const { orgId, owner, admin, member } = await team();
    const input = { organizationId: orgId, membershipId: member.membershipId };
    expect(code(await server.graphql(TRANSFER, { input }, admin.token))).toBe('FORBIDDEN');
    expect(code(await server.graphql(TRANSFER, { input }, member.token))).toBe('FORBIDDEN');
    const self = await server.graphql(
      TRANSFER,
      {
        input: {
          organizationId: orgId,
          membershipId: (
            await server.sql<{ id: string }>(
              'select id from memberships where user_id = ? and organization_id = ?',
              [owner.id, orgId],
            )
          )[0]!.id,
        },
      },
      owner.token,
    );
    expect(code(self)).toBe('BAD_USER_INPUT');

    const result = await server.graphql(TRANSFER, { input }, owner.token);
    expect(result.data).toEqual({ transferOwnership: { id: orgId, viewerRole: 'admin' } });
    expect(await roles(orgId)).toEqual({
      [owner.id]: 'admin',
      [admin.id]: 'admin',
      [member.id]: 'owner',
    });
    // Now the former owner may leave; the new one may not.
    expect(code(await server.graphql(LEAVE, { id: orgId }, member.token))).toBe('CONFLICT');
    expect((await server.graphql(LEAVE, { id: orgId }, owner.token)).data).toEqual({
      leaveOrganization: orgId,
    });
  });
});

describe('paginated members and invitations', () => {
  it('walks 250 members in stable pages by cursor; totalCount; bad cursors and sizes are BAD_USER_INPUT', async () => {
    const owner = await signUp(server);
    const orgId = await createOrganization(server, owner.token, 'Big');
    // 249 more members, straight in the database (joined at distinct and equal times).
    const base = Date.now() - 1_000_000;
    const users: [string, string][] = [];
    for (let i = 0; i < 249; i++)
      users.push([`user_p${randomBytes(10).toString('hex')}`, uniqueEmail('p')]);
    await server.sql(
      `insert into users (id, email, password_hash, name, created_at, updated_at)
       select u.id, u.email, 'x', 'Member', now(), now() from json_to_recordset(?::json) as u(id text, email text)`,
      [JSON.stringify(users.map(([id, email]) => ({ id, email })))],
    );
    await server.sql(
      `insert into memberships (id, organization_id, user_id, role, created_at, updated_at)
       select 'mem_' || substr(md5(u.id), 1, 22), ?, u.id, 'member', to_timestamp(u.t / 1000.0), now()
         from json_to_recordset(?::json) as u(id text, t bigint)`,
      [orgId, JSON.stringify(users.map(([id], i) => ({ id, t: base + Math.floor(i / 3) * 1000 })))],
    );

    const seen: Member[] = [];
    let after: string | undefined;
    let pages = 0;
    for (;;) {
      const { errors, page } = await membersOf(owner.token, orgId, 100, after);
      expect(errors).toBeUndefined();
      expect(page!.totalCount).toBe(250);
      seen.push(...page!.edges.map((edge) => edge.node));
      pages++;
      if (!page!.pageInfo.hasNextPage) break;
      after = page!.pageInfo.endCursor!;
    }
    expect(pages).toBe(3);
    expect(new Set(seen.map((m) => m.id)).size).toBe(250);
    const order = seen.map((m) => [Date.parse(m.joinedAt), m.id] as const);
    const sorted = [...order].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : 1));
    expect(order.map((o) => o[1])).toEqual(sorted.map((o) => o[1]));

    const first = await membersOf(owner.token, orgId, 10);
    const cursor = first.page!.pageInfo.endCursor!;
    const flipped = cursor.slice(0, 8) + (cursor[8] === 'A' ? 'B' : 'A') + cursor.slice(9);
    // Real cursors, of another list and of another organization.
    await invite(server, owner.token, orgId, [uniqueEmail('listed')]);
    const invitationsPage = await server.graphql<{
      viewer: {
        organizations: { organization: { invitations: { pageInfo: { endCursor: string } } } }[];
      };
    }>(
      '{ viewer { organizations { organization { invitations(first: 1) { pageInfo { endCursor } } } } } }',
      {},
      owner.token,
    );
    const invitationsCursor =
      invitationsPage.data!.viewer.organizations[0]!.organization.invitations.pageInfo.endCursor;
    const stranger = await signUp(server);
    const otherOrg = await createOrganization(server, stranger.token, 'Other');
    const foreign = (await membersOf(stranger.token, otherOrg, 1)).page!.pageInfo.endCursor!;
    expect([invitationsCursor, foreign].every((c) => c.length > 20)).toBe(true);
    for (const bad of [flipped, invitationsCursor, foreign, 'garbage', 'x'.repeat(500)]) {
      const result = await membersOf(owner.token, orgId, 10, bad);
      expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
    }
    for (const size of [0, 101, -1]) {
      const result = await membersOf(owner.token, orgId, size);
      expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'first' });
    }
  });

  it('reads a page on the (organization, created_at, id) index, without sorting the organization', async () => {
    // Whether the index can serve the page in order, whatever the size and the
    // statistics of this worker's table: on a small one the planner rightly
    // prefers a scan, and for an organization it estimates at one row, the
    // (organization, user) index plus a sort of that row. Pricing both out
    // leaves only plans that read the page in order.
    const plan = await server.em().transactional(async (em) => {
      await em.execute('set local enable_seqscan = off');
      await em.execute('set local enable_sort = off');
      return em.execute<{ 'QUERY PLAN': string }[]>(
        `explain select * from memberships where organization_id = 'org_x'
           and created_at >= now() and (created_at > now() or id > 'mem_x')
           order by created_at asc, id asc limit 21`,
      );
    });
    const text = plan.map((row) => row['QUERY PLAN']).join('\n');
    expect(text).toContain('memberships_organization_created_idx');
    expect(text).not.toMatch(/Sort/);
  });

  it('lists invitations in pages for owners and admins, and none for members', async () => {
    const { orgId, owner, member } = await team();
    await invite(
      server,
      owner.token,
      orgId,
      Array.from({ length: 5 }, () => uniqueEmail('page')),
    );
    const query = `query($after: String) { viewer { organizations { organization { id invitations(first: 3, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } nodes { id email status } } } } } }`;
    type Data = {
      viewer: {
        organizations: {
          organization: {
            id: string;
            invitations: {
              totalCount: number;
              pageInfo: { hasNextPage: boolean; endCursor: string | null };
              nodes: { id: string }[];
            };
          };
        }[];
      };
    };
    const pick = (data: Data | null | undefined) =>
      data!.viewer.organizations.find((m) => m.organization.id === orgId)!.organization.invitations;
    const one = pick((await server.graphql<Data>(query, {}, owner.token)).data);
    expect(one.totalCount).toBe(7); // 2 accepted (admin, member) + 5 pending
    expect(one.nodes).toHaveLength(3);
    const two = pick(
      (await server.graphql<Data>(query, { after: one.pageInfo.endCursor }, owner.token)).data,
    );
    const three = pick(
      (await server.graphql<Data>(query, { after: two.pageInfo.endCursor }, owner.token)).data,
    );
    expect(three.pageInfo.hasNextPage).toBe(false);
    expect(new Set([...one.nodes, ...two.nodes, ...three.nodes].map((n) => n.id)).size).toBe(7);
    const members = pick((await server.graphql<Data>(query, {}, member.token)).data);
    expect(members).toEqual({
      totalCount: 0,
      pageInfo: { hasNextPage: false, endCursor: null },
      nodes: [],
    });
  });
});

describe('database constraints', () => {
  it('a user is a member once per organization; an address has one pending invitation per organization', async () => {
    const { orgId, member } = await team();
    await expect(
      server.sql(
        `insert into memberships (id, organization_id, user_id, role, created_at, updated_at)
         values ('mem_dup' || substr(md5(random()::text), 1, 18), ?, ?, 'member', now(), now())`,
        [orgId, member.id],
      ),
    ).rejects.toThrow(/memberships_organization_user_unique/);
    const email = uniqueEmail('twice');
    const insert = () =>
      server.sql(
        `insert into invitations (id, organization_id, email, status, role, expires_at, created_at, updated_at)
         values ('inv_' || substr(md5(random()::text), 1, 22), ?, ?, 'pending', 'member', now() + interval '1 day', now(), now())`,
        [orgId, email],
      );
    await insert();
    await expect(insert()).rejects.toThrow(/invitations_pending_email_unique/);
  });
});

describe('export and deletion', () => {
  it("exports memberships, invitations sent and received, and no other member's address", async () => {
    const { orgId, owner, admin, member } = await team();
    const typed = uniqueEmail('typed');
    await invite(server, admin.token, orgId, [typed]);
    const elsewhere = await signUp(server);
    const otherOrg = await createOrganization(server, elsewhere.token, 'Elsewhere');
    await invite(server, elsewhere.token, otherOrg, [admin.email]);

    const result = await server.graphql<{ exportData: Record<string, unknown> }>(
      'mutation { exportData }',
      {},
      admin.token,
    );
    const data = result.data!.exportData as {
      memberships: { id: string; organizationId: string; role: string }[];
      invitations: {
        sent: { email: string; status: string; role: string }[];
        received: { organizationId: string; status: string }[];
      };
    };
    expect(data.memberships).toEqual([
      expect.objectContaining({ id: admin.membershipId, organizationId: orgId, role: 'admin' }),
    ]);
    expect(data.invitations.sent).toEqual([
      expect.objectContaining({ email: typed, status: 'pending', role: 'member' }),
    ]);
    expect(data.invitations.received).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ organizationId: orgId, status: 'accepted' }),
        expect.objectContaining({ organizationId: otherOrg, status: 'pending' }),
      ]),
    );
    const text = JSON.stringify(data);
    expect(text).not.toContain(owner.email);
    expect(text).not.toContain(member.email);
    expect(text).not.toContain(elsewhere.email);
  });

  it("deleting an account removes its pending received invitations and keeps the organizations' history", async () => {
    const owner = await signUp(server);
    const orgId = await createOrganization(server, owner.token, 'Keeps');
    const leaver = await signUp(server);
    await markVerified(server, leaver.id);
    const [answered] = await invite(server, owner.token, orgId, [leaver.email]);
    await server.graphql(DECLINE_BY_ID, { id: answered!.id }, leaver.token);
    const other = await signUp(server);
    const otherOrg = await createOrganization(server, other.token, 'Pending');
    const [pending] = await invite(server, other.token, otherOrg, [leaver.email]);

    const deleted = await server.graphql(
      'mutation($email: String!) { deleteAccount(confirmEmail: $email) { deletedUserId } }',
      { email: leaver.email },
      leaver.token,
    );
    expect(deleted.errors).toBeUndefined();
    const rows = await server.sql<{ id: string; status: string }>(
      'select id, status from invitations where email = ? order by id',
      [leaver.email],
    );
    expect(rows).toEqual([{ id: answered!.id, status: 'declined' }]);
    expect(rows.map((row) => row.id)).not.toContain(pending!.id);
  });
});
