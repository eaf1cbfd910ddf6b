import { createHash } from 'node:crypto';
import { startTestServer, type TestServer } from './helpers/app';
import { CREATE_TOKEN, signUp, uniqueEmail } from './helpers/factories';
import { addMember, createOrganization } from './helpers/organizations';

const EXPORT = 'mutation { exportData }';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

describe('exportData', () => {
  it('holds every category of data about the viewer and none of the secrets', async () => {
    const password = 'Export-Canary-Passw0rd';
    const user = await signUp(server, { password, name: 'Exporter' });
    const secondToken = await server.graphql<{ createAccessToken: { token: string } }>(
      CREATE_TOKEN,
      {
        input: { email: user.email, password, name: 'Laptop' },
      },
    );
    const tokens = [user.token, secondToken.data!.createAccessToken.token];
    const providerKey = 'sk-proj-EXPORTCANARY0123456789abcdefc123';

    await server.graphql(
      'mutation { updateProfile(input: {bio: "Writes PRDs", avatarUrl: "https://example.com/a.png"}) { id } }',
      {},
      user.token,
    );
    await server.graphql(
      'mutation { updateTimezone(timezone: "Asia/Calcutta") { id } }',
      {},
      user.token,
    );
    const teammate = uniqueEmail('invitee');
    await server.graphql(
      `mutation($invite: [String!]) { completeOnboarding(input: {fullName: "Exporter", jobTitle: "PM", company: "Acme",
         useCase: "Specs", teamSize: "medium", prdStyle: "comprehensive", interests: ["exports"], createOrg: true,
         inviteEmails: $invite}) { onboarding { completed } } }`,
      { invite: [teammate] },
      user.token,
    );
    await server.graphql(
      'mutation($key: String!) { addApiKey(input: {provider: openai, key: $key, name: "Mine"}) { id } }',
      { key: providerKey },
      user.token,
    );
    await server.graphql('mutation { recordActivity { recorded } }', {}, user.token);
    // Someone else's organization the user belongs to, and an invitation addressed to them.
    const other = await signUp(server);
    const otherOrg = await createOrganization(server, other.token, 'Other Org');
    await server.graphql(
      `mutation($invite: [String!]) { completeOnboarding(input: {fullName: "O", jobTitle: "O", company: "O",
         useCase: "O", teamSize: "small", prdStyle: "lean", interests: [], inviteEmails: $invite}) { onboarding { completed } } }`,
      { invite: [user.email] },
      other.token,
    );
    await addMember(server, otherOrg, user.id, 'member', new Date());

    const result = await server.graphql<{ exportData: Record<string, unknown> }>(
      EXPORT,
      {},
      user.token,
    );
    expect(result.errors).toBeUndefined();
    const data = result.data!.exportData;

    expect(data).toMatchObject({
      formatVersion: 1,
      profile: {
        id: user.id,
        email: user.email,
        name: 'Exporter',
        jobTitle: 'PM',
        bio: 'Writes PRDs',
      },
      preferences: {
        timezone: 'Asia/Kolkata',
        preferredStyle: 'comprehensive',
        company: 'Acme',
        interests: ['exports'],
      },
      onboarding: { completed: true },
      apiKeys: [
        { provider: 'openai', name: 'Mine', maskedKey: 'sk-proj-…c123', status: 'unverified' },
      ],
      accessTokens: [
        { id: user.tokenId, name: 'Sign-up token', revokedAt: null },
        { name: 'Laptop', revokedAt: null },
      ],
      invitations: {
        sent: [{ email: teammate, status: 'pending' }],
        received: [{ organizationId: otherOrg, organizationName: 'Other Org', status: 'pending' }],
      },
    });
    expect(Date.parse(String(data['exportedAt']))).toBeGreaterThan(Date.now() - 60_000);
    expect(data['organizations']).toEqual([
      expect.objectContaining({ name: 'Acme' }),
      expect.objectContaining({ id: otherOrg, name: 'Other Org' }),
    ]);
    expect(data['memberships']).toEqual([
      expect.objectContaining({ role: 'owner' }),
      expect.objectContaining({ organizationId: otherOrg, role: 'member' }),
    ]);
    expect(data['activity']).toEqual({
      lastActiveAt: expect.any(String) as unknown,
      events: [expect.any(String)],
    });

    const [userRow] = await server.sql<{ password_hash: string }>(
      'select password_hash from users where id = ?',
      [user.id],
    );
    const [keyRow] = await server.sql<{ iv: Buffer; ciphertext: Buffer; auth_tag: Buffer }>(
      'select iv, ciphertext, auth_tag from api_keys where user_id = ?',
      [user.id],
    );
    const secrets = [
      password,
      providerKey,
      Buffer.from(providerKey).toString('base64'),
      ...tokens,
      ...tokens.map((t) => createHash('sha256').update(t).digest('hex')),
      userRow!.password_hash,
      ...[keyRow!.iv, keyRow!.ciphertext, keyRow!.auth_tag].flatMap((b) => [
        b.toString('hex'),
        b.toString('base64'),
      ]),
    ];
    const serialized = JSON.stringify(data);
    for (const secret of secrets) expect(serialized).not.toContain(secret);
    expect(result.text).not.toMatch(/password_?hash|token_?hash|ciphertext|auth_?tag/i);
  });

  it('needs authentication', async () => {
    const result = await server.graphql(EXPORT);
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED' });
  });
});
