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
