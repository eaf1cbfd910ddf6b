/**
 * Invitations through the mail, against a real SMTP server: the whole
 * journey (onboarding invites, the mail arrives, the invitee signs up,
 * verifies and accepts with the link's code), resends superseding the old
 * link, and nothing queued when an invitation is refused.
 */
import { createScratchDatabase, startTestServer, type TestServer } from './helpers/app';
import { signUp, uniqueEmail } from './helpers/factories';
import { invite, markVerified } from './helpers/organizations';
import { linkIn, linkToken, startSmtpServer, type TestSmtpServer } from './helpers/smtp';

let smtp: TestSmtpServer;
let server: TestServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
  server = await startTestServer({
    ...smtp.env(),
    // Its own database: the worker's database holds mail jobs queued by other
    // test files' servers (closed before delivering them), which this server's
    // worker would otherwise deliver first.
    DATABASE_URL: await createScratchDatabase(),
  });
});
afterAll(async () => {
  await server.close();
  await smtp.stop();
});

const ACCEPT =
  'mutation($token: String!) { acceptInvitation(token: $token) { id role organization { id name } } }';
const DECLINE = 'mutation($token: String!) { declineInvitation(token: $token) { id status } }';
const MEMBERS = `{ viewer { organizations { role organization { id members { nodes { role user { id name } } } } } } }`;

interface MembersData {
  viewer: {
    organizations: {
      role: string;
      organization: { id: string; members: { nodes: { role: string; user: { id: string } }[] } };
    }[];
  };
}

describe('invitations by mail', () => {
  it('onboarding invites → mail → sign up → verify → accept by the link → both see each other', async () => {
    const owner = await signUp(server, { name: 'Olga' });
    await smtp.nextMessageTo(owner.email, 30_000); // signUp's verification mail
    const teammate = uniqueEmail('teammate');
    const onboarded = await server.graphql<{
      completeOnboarding: { organization: { id: string }; invitations: { id: string }[] };
    }>(
      `mutation($invite: [String!]) { completeOnboarding(input: {fullName: "Olga Owner", jobTitle: "CTO",
         company: "Mailco", useCase: "Specs", teamSize: "small", prdStyle: "lean", interests: [],
         createOrg: true, inviteEmails: $invite}) { organization { id } invitations { id } } }`,
      { invite: [teammate] },
      owner.token,
    );
    expect(onboarded.errors).toBeUndefined();
    const orgId = onboarded.data!.completeOnboarding.organization.id;

    const mail = await smtp.nextMessageTo(teammate, 30_000);
    expect(mail.subject).toContain('Mailco');
    expect(mail.text).toContain('Olga Owner');
    expect(linkIn(mail.text)).toMatch(/\/invitation\?token=/);
    const token = linkToken(mail.text);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Nowhere in the database in plain text.
    const rows = await server.sql('select * from invitations where organization_id = ?', [orgId]);
    const outbox = await server.sql('select * from mail_outbox where recipient = ?', [teammate]);
    expect(JSON.stringify([rows, outbox])).not.toContain(token);

    const invitee = await signUp(server, { email: teammate, name: 'Tom Teammate' });
    const verification = await smtp.nextMessageTo(invitee.email, 30_000); // signUp's verification mail
    // Unverified: FORBIDDEN, nothing changes.
    const early = await server.graphql(ACCEPT, { token }, invitee.token);
    expect(early.errors?.[0]?.extensions['code']).toBe('FORBIDDEN');
    // Verified the way a person does it: with the link of the mail that reached them.
    const verified = await server.graphql<{ verifyEmail: { emailVerified: boolean } }>(
      'mutation($token: String!) { verifyEmail(token: $token) { emailVerified } }',
      { token: linkToken(verification.text) },
    );
    expect(verified.data?.verifyEmail.emailVerified).toBe(true);
    const accepted = await server.graphql(ACCEPT, { token }, invitee.token);
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data).toEqual({
      acceptInvitation: {
        id: expect.stringMatching(/^mem_/) as unknown,
        role: 'member',
        organization: { id: orgId, name: 'Mailco' },
      },
    });

    for (const [who, role] of [
      [owner, 'owner'],
      [invitee, 'member'],
    ] as const) {
      const seen = await server.graphql<MembersData>(MEMBERS, {}, who.token);
      const [membership] = seen.data!.viewer.organizations;
      expect(membership!.role).toBe(role);
      expect(
        membership!.organization.members.nodes.map((node) => [node.user.id, node.role]),
      ).toEqual([
        [owner.id, 'owner'],
        [invitee.id, 'member'],
      ]);
    }
  });

  it('inviteMembers mails each invitee; a resend mails a new link and the old one stops working', async () => {
    const owner = await signUp(server);
    await smtp.nextMessageTo(owner.email, 30_000); // signUp's verification mail
    const org = await server.graphql<{ completeOnboarding: { organization: { id: string } } }>(
      `mutation { completeOnboarding(input: {fullName: "O", jobTitle: "O", company: "Resendco", useCase: "O",
         teamSize: "O", prdStyle: "O", interests: [], createOrg: true}) { organization { id } } }`,
      {},
      owner.token,
    );
    const orgId = org.data!.completeOnboarding.organization.id;
    const invitee = await signUp(server);
    await smtp.nextMessageTo(invitee.email, 30_000); // signUp's verification mail
    await markVerified(server, invitee.id);
    const [made] = await invite(server, owner.token, orgId, [invitee.email], 'admin');
    const first = linkToken((await smtp.nextMessageTo(invitee.email, 30_000)).text);

    const resent = await server.graphql(
      'mutation($id: ID!) { resendInvitation(id: $id) { id } }',
      { id: made!.id },
      owner.token,
    );
    expect(resent.errors).toBeUndefined();
    const second = linkToken((await smtp.nextMessageTo(invitee.email, 30_000)).text);
    expect(second).not.toBe(first);

    const stale = await server.graphql(ACCEPT, { token: first }, invitee.token);
    expect(stale.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'token' });
    const ok = await server.graphql<{ acceptInvitation: { role: string } }>(
      ACCEPT,
      { token: second },
      invitee.token,
    );
    expect(ok.data?.acceptInvitation.role).toBe('admin');
  });

  it('the link declines without an account; a refused invitation queues no mail', async () => {
    const owner = await signUp(server);
    await smtp.nextMessageTo(owner.email, 30_000); // signUp's verification mail
    const member = await signUp(server);
    await smtp.nextMessageTo(member.email, 30_000); // signUp's verification mail
    await markVerified(server, member.id);
    const org = await server.graphql<{ completeOnboarding: { organization: { id: string } } }>(
      `mutation($invite: [String!]) { completeOnboarding(input: {fullName: "O", jobTitle: "O", company: "Declineco",
         useCase: "O", teamSize: "O", prdStyle: "O", interests: [], createOrg: true, inviteEmails: $invite}) { organization { id } } }`,
      { invite: [member.email] },
      owner.token,
    );
    const orgId = org.data!.completeOnboarding.organization.id;
    await server.graphql(
      ACCEPT,
      { token: linkToken((await smtp.nextMessageTo(member.email, 30_000)).text) },
      member.token,
    );

    const stranger = uniqueEmail('stranger');
    await invite(server, owner.token, orgId, [stranger]);
    const token = linkToken((await smtp.nextMessageTo(stranger, 30_000)).text);
    const declined = await server.graphql(DECLINE, { token });
    expect(declined.data).toEqual({
      declineInvitation: { id: expect.stringMatching(/^inv_/) as unknown, status: 'declined' },
    });

    // A member may not invite: refused, and nothing is queued for the address.
    const refusedTo = uniqueEmail('refused');
    const refused = await server.graphql(
      'mutation($input: InviteMembersInput!) { inviteMembers(input: $input) { invitations { id } } }',
      { input: { organizationId: orgId, emails: [refusedTo] } },
      member.token,
    );
    expect(refused.errors?.[0]?.extensions['code']).toBe('FORBIDDEN');
    expect(await server.sql('select 1 from mail_outbox where recipient = ?', [refusedTo])).toEqual(
      [],
    );
    expect(await server.sql('select 1 from invitations where email = ?', [refusedTo])).toEqual([]);
  });
});
