import { startTestServer, type TestServer } from './helpers/app';
import { signUp, type SignedUp } from './helpers/factories';
import { addMember, createOrganization, invite, markVerified } from './helpers/organizations';

/** Each race runs this many times, both sides sent at once. */
const ROUNDS = 20;

let server: TestServer;
beforeAll(async () => {
  // Every round sends an invitation: more than the hourly limit allows one user.
  server = await startTestServer({ RATE_LIMITS: 'invitations=1000/3600' });
});
afterAll(async () => {
  await server.close();
});

type Result = { errors?: { extensions: Record<string, unknown> }[]; data?: unknown };
const code = (result: Result) => result.errors?.[0]?.extensions['code'];

async function roles(orgId: string): Promise<Record<string, string>> {
  const rows = await server.sql<{ user_id: string; role: string }>(
    'select user_id, role from memberships where organization_id = ?',
    [orgId],
  );
  return Object.fromEntries(rows.map((row) => [row.user_id, row.role]));
}

async function membershipId(orgId: string, userId: string): Promise<string> {
  const [row] = await server.sql<{ id: string }>(
    'select id from memberships where organization_id = ? and user_id = ?',
    [orgId, userId],
  );
  return row!.id;
}

async function setRole(orgId: string, userId: string, role: string): Promise<void> {
  await server.sql('update memberships set role = ? where organization_id = ? and user_id = ?', [
    role,
    orgId,
    userId,
  ]);
}

const ACCEPT_BY_ID = 'mutation($id: ID!) { acceptInvitationById(id: $id) { id } }';
const REVOKE = 'mutation($id: ID!) { revokeInvitation(id: $id) { status } }';
const UPDATE_ROLE =
  'mutation($input: UpdateMemberRoleInput!) { updateMemberRole(input: $input) { role } }';
const LEAVE = 'mutation($id: ID!) { leaveOrganization(organizationId: $id) }';
const TRANSFER =
  'mutation($input: TransferOwnershipInput!) { transferOwnership(input: $input) { id } }';

describe('organizations under races (each race run 20 times)', () => {
  let owner: SignedUp;
  let orgId: string;
  let invitee: SignedUp;
  beforeAll(async () => {
    owner = await signUp(server);
    orgId = await createOrganization(server, owner.token, 'Races');
    invitee = await signUp(server);
    await markVerified(server, invitee.id);
  });

  async function reset(): Promise<void> {
    await server.sql('delete from memberships where organization_id = ? and user_id = ?', [
      orgId,
      invitee.id,
    ]);
  }

  it('accept vs revoke: one wins; accepted means a member, revoked means none', async () => {
    const outcomes = new Set<string>();
    for (let round = 0; round < ROUNDS; round++) {
      const [made] = await invite(server, owner.token, orgId, [invitee.email]);
      const [accepted, revoked] = await Promise.all([
        server.graphql(ACCEPT_BY_ID, { id: made!.id }, invitee.token),
        server.graphql(REVOKE, { id: made!.id }, owner.token),
      ]);
      const winners = [accepted, revoked].filter((r) => !r.errors);
      expect(winners).toHaveLength(1);
      expect(code(accepted.errors ? accepted : revoked)).toBe('CONFLICT');
      const [row] = await server.sql<{ status: string }>(
        'select status from invitations where id = ?',
        [made!.id],
      );
      const member = (await roles(orgId))[invitee.id];
      if (!accepted.errors) {
        expect([row!.status, member]).toEqual(['accepted', 'member']);
        outcomes.add('accepted');
      } else {
        expect([row!.status, member]).toEqual(['revoked', undefined]);
        outcomes.add('revoked');
      }
      await reset();
    }
    expect(outcomes.size).toBeGreaterThan(0);
  });

  it('two accepts at once: one membership, both answered with it', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const [made] = await invite(server, owner.token, orgId, [invitee.email]);
      const [a, b] = await Promise.all([
        server.graphql<{ acceptInvitationById: { id: string } }>(
          ACCEPT_BY_ID,
          { id: made!.id },
          invitee.token,
        ),
        server.graphql<{ acceptInvitationById: { id: string } }>(
          ACCEPT_BY_ID,
          { id: made!.id },
          invitee.token,
        ),
      ]);
      expect(a.errors).toBeUndefined();
      expect(b.errors).toBeUndefined();
      expect(a.data!.acceptInvitationById.id).toBe(b.data!.acceptInvitationById.id);
      const rows = await server.sql(
        'select 1 from memberships where organization_id = ? and user_id = ?',
        [orgId, invitee.id],
      );
      expect(rows).toHaveLength(1);
      await reset();
    }
  });

  it('two owners demoting each other at once: one wins, an owner remains', async () => {
    const a = await signUp(server);
    const org = await createOrganization(server, a.token, 'Duel');
    const b = await signUp(server);
    await addMember(server, org, b.id, 'owner', new Date());
    const memA = await membershipId(org, a.id);
    const memB = await membershipId(org, b.id);
    for (let round = 0; round < ROUNDS; round++) {
      const [byA, byB] = await Promise.all([
        server.graphql(UPDATE_ROLE, { input: { membershipId: memB, role: 'admin' } }, a.token),
        server.graphql(UPDATE_ROLE, { input: { membershipId: memA, role: 'admin' } }, b.token),
      ]);
      expect([byA, byB].filter((r) => !r.errors)).toHaveLength(1);
      expect(code(byA.errors ? byA : byB)).toBe('FORBIDDEN'); // an admin by then
      const now = await roles(org);
      expect(Object.values(now).sort()).toEqual(['admin', 'owner']);
      expect(now[byA.errors ? b.id : a.id]).toBe('owner');
      await setRole(org, a.id, 'owner');
      await setRole(org, b.id, 'owner');
    }
  });

  it('the two last owners leaving at once: one leaves, the other stays owner', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const a = await signUp(server);
      const org = await createOrganization(server, a.token, 'Exit');
      const b = await signUp(server);
      await addMember(server, org, b.id, 'owner', new Date());
      const [byA, byB] = await Promise.all([
        server.graphql(LEAVE, { id: org }, a.token),
        server.graphql(LEAVE, { id: org }, b.token),
      ]);
      expect([byA, byB].filter((r) => !r.errors)).toHaveLength(1);
      expect(code(byA.errors ? byA : byB)).toBe('CONFLICT');
      expect(Object.values(await roles(org))).toEqual(['owner']);
    }
  });

  it('leave vs transfer: the organization ends with exactly one owner, as one order would leave it', async () => {
    const a = await signUp(server);
    const org = await createOrganization(server, a.token, 'Handover');
    const b = await signUp(server);
    for (let round = 0; round < ROUNDS; round++) {
      await server.sql('delete from memberships where organization_id = ? and user_id = ?', [
        org,
        b.id,
      ]);
      await addMember(server, org, b.id, 'member', new Date());
      await setRole(org, a.id, 'owner');
      const memB = await membershipId(org, b.id);
      const [transfer, leave] = await Promise.all([
        server.graphql(TRANSFER, { input: { organizationId: org, membershipId: memB } }, a.token),
        server.graphql(LEAVE, { id: org }, b.token),
      ]);
      const now = await roles(org);
      if (!transfer.errors) {
        // Transferred first: b is the only owner and may not leave.
        expect(code(leave)).toBe('CONFLICT');
        expect(now).toEqual({ [a.id]: 'admin', [b.id]: 'owner' });
      } else {
        // Left first: nothing to transfer to.
        expect(code(transfer)).toBe('NOT_FOUND');
        expect(leave.errors).toBeUndefined();
        expect(now).toEqual({ [a.id]: 'owner' });
      }
    }
  });
});
