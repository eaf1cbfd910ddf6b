import { randomBytes } from 'node:crypto';
import type { TestServer } from './app';

/**
 * Adds a member straight into the database: the API has no way to accept an
 * invitation yet, and deletion rules need organizations with several members.
 */
export async function addMember(
  server: TestServer,
  organizationId: string,
  userId: string,
  role: 'owner' | 'admin' | 'member',
  joinedAt: Date,
): Promise<string> {
  const id = `mem_${randomBytes(11).toString('hex').slice(0, 22)}`;
  await server.sql(
    `insert into memberships (id, organization_id, user_id, role, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?)`,
    [id, organizationId, userId, role, joinedAt, joinedAt],
  );
  return id;
}

/** Creates an organization through onboarding and returns its id. */
export async function createOrganization(
  server: TestServer,
  token: string,
  name: string,
): Promise<string> {
  const result = await server.graphql<{ completeOnboarding: { organization: { id: string } } }>(
    `mutation($name: String) { completeOnboarding(input: {fullName: "Owner", jobTitle: "Lead", company: "Co",
       useCase: "Specs", teamSize: "small", prdStyle: "lean", interests: ["ai-chat"], createOrg: true, orgName: $name})
       { organization { id } } }`,
    { name },
    token,
  );
  if (!result.data) throw new Error(result.text);
  return result.data.completeOnboarding.organization.id;
}

/**
 * Marks an address verified straight in the database: a fixture step until
 * the verification flow (issue 16) is on main; tests of the whole journey
 * verify through the mail instead.
 */
export async function markVerified(server: TestServer, userId: string): Promise<void> {
  await server.sql('update users set email_verified = true where id = ?', [userId]);
}

export type RoleName = 'owner' | 'admin' | 'member';

export interface InvitationView {
  id: string;
  email: string;
  role: RoleName;
  status: string;
  expiresAt: string;
  organizationId: string;
  organizationName: string;
  inviterName: string | null;
}

export const INVITATION_FIELDS =
  'id email role status expiresAt organizationId organizationName inviterName';

/** Invites addresses through the API; throws unless it succeeds. */
export async function invite(
  server: TestServer,
  token: string,
  organizationId: string,
  emails: string[],
  role: RoleName = 'member',
): Promise<InvitationView[]> {
  const result = await server.graphql<{
    inviteMembers: { invitations: InvitationView[] };
  }>(
    `mutation($input: InviteMembersInput!) { inviteMembers(input: $input) { invitations { ${INVITATION_FIELDS} } } }`,
    { input: { organizationId, emails, role } },
    token,
  );
  if (!result.data) throw new Error(result.text);
  return result.data.inviteMembers.invitations;
}

/** Accepts an invitation by id through the API; returns the membership id. */
export async function acceptById(
  server: TestServer,
  token: string,
  invitationId: string,
): Promise<string> {
  const result = await server.graphql<{ acceptInvitationById: { id: string } }>(
    'mutation($id: ID!) { acceptInvitationById(id: $id) { id } }',
    { id: invitationId },
    token,
  );
  if (!result.data) throw new Error(result.text);
  return result.data.acceptInvitationById.id;
}
