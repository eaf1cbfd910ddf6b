import { startTestServer, type TestServer } from './helpers/app';
import {
  CREATE_TOKEN,
  PASSWORD,
  SIGN_UP,
  signUp,
  uniqueEmail,
  type SignedUp,
} from './helpers/factories';
import { addMember, createOrganization } from './helpers/organizations';

const DELETE =
  'mutation Delete($email: String!) { deleteAccount(confirmEmail: $email) { deletedUserId message } }';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

/** Every row of every table, in any text column, that holds `value`. */
async function rowsHolding(value: string): Promise<string[]> {
  const columns = await server.sql<{ table_name: string; column_name: string }>(
    `select table_name, column_name from information_schema.columns
     where table_schema = 'public' and data_type in ('text', 'character varying', 'ARRAY')`,
  );
  const found: string[] = [];
  for (const { table_name: table, column_name: column } of columns) {
    const rows = await server.sql(`select 1 from "${table}" where "${column}"::text like ?`, [
      `%${value}%`,
    ]);
    if (rows.length > 0) found.push(`${table}.${column}`);
  }
  return found;
}

async function populate(user: SignedUp): Promise<void> {
  await server.graphql(CREATE_TOKEN, { input: { email: user.email, password: user.password } });
  await server.graphql(
    'mutation { addApiKey(input: {provider: anthropic, key: "sk-ant-0123456789abcdef0123"}) { id } }',
    {},
    user.token,
  );
  await server.graphql('mutation { recordActivity { recorded } }', {}, user.token);
}

describe('deleteAccount', () => {
  it('refuses a confirmEmail that does not match, and deletes nothing', async () => {
    const user = await signUp(server);
    const result = await server.graphql(DELETE, { email: uniqueEmail('someone-else') }, user.token);
    expect(result.errors?.[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'confirmEmail',
    });
    expect(await server.sql('select 1 from users where id = ?', [user.id])).toHaveLength(1);
    const me = await server.graphql('{ viewer { id } }', {}, user.token);
    expect(me.errors).toBeUndefined();
  });

  it('deletes the account and every row of it; its tokens die and the email is free again', async () => {
    const user = await signUp(server);
    await populate(user);
    const solo = await createOrganization(server, user.token, 'Solo Org');
    await server.graphql(
      `mutation($invite: [String!]) { completeOnboarding(input: {fullName: "X", jobTitle: "X", company: "X",
         useCase: "X", teamSize: "X", prdStyle: "X", interests: [], inviteEmails: $invite}) { onboarding { completed } } }`,
      { invite: [uniqueEmail('invitee')] },
      user.token,
    );
    expect((await rowsHolding(user.id)).length).toBeGreaterThan(4);

    const result = await server.graphql(
      DELETE,
      { email: `  ${user.email.toUpperCase()} ` },
      user.token,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      deleteAccount: { deletedUserId: user.id, message: 'Account deleted' },
    });

    expect(await rowsHolding(user.id)).toEqual([]);
    expect(await rowsHolding(user.email)).toEqual([]);
    expect(await server.sql('select 1 from organizations where id = ?', [solo])).toHaveLength(0);
    const after = await server.graphql('{ viewer { id } }', {}, user.token);
    expect(after.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED' });

    const again = await server.graphql(SIGN_UP, {
      input: { email: user.email, password: PASSWORD, name: 'Back' },
    });
    expect(again.errors).toBeUndefined();
  });

  it("passes a sole owner's organization to its longest-standing member and keeps the others'", async () => {
    const owner = await signUp(server);
    const elder = await signUp(server);
    const younger = await signUp(server);
    const shared = await createOrganization(server, owner.token, 'Shared');
    await addMember(server, shared, younger.id, 'member', new Date(Date.now() - 1_000));
    await addMember(server, shared, elder.id, 'admin', new Date(Date.now() - 60_000));
    const foreign = await createOrganization(server, younger.token, 'Foreign');
    await addMember(server, foreign, owner.id, 'member', new Date());

    const result = await server.graphql(DELETE, { email: owner.email }, owner.token);
    expect(result.errors).toBeUndefined();

    const roles = await server.sql<{ user_id: string; role: string }>(
      'select user_id, role from memberships where organization_id = ?',
      [shared],
    );
    expect(Object.fromEntries(roles.map((r) => [r.user_id, r.role]))).toEqual({
      [elder.id]: 'owner',
      [younger.id]: 'member',
    });
    expect(
      await server.sql('select user_id, role from memberships where organization_id = ?', [
        foreign,
      ]),
    ).toEqual([{ user_id: younger.id, role: 'owner' }]);
    const [org] = await server.sql('select created_by_id from organizations where id = ?', [
      shared,
    ]);
    expect(org).toEqual({ created_by_id: null });
  });

  it('keeps an organization that still has another owner as it is', async () => {
    const owner = await signUp(server);
    const coOwner = await signUp(server);
    const member = await signUp(server);
    const org = await createOrganization(server, owner.token, 'Two Owners');
    await addMember(server, org, member.id, 'member', new Date(Date.now() - 60_000));
    await addMember(server, org, coOwner.id, 'owner', new Date());

    await server.graphql(DELETE, { email: owner.email }, owner.token);

    const roles = await server.sql<{ user_id: string; role: string }>(
      'select user_id, role from memberships where organization_id = ?',
      [org],
    );
    expect(Object.fromEntries(roles.map((r) => [r.user_id, r.role]))).toEqual({
      [coOwner.id]: 'owner',
      [member.id]: 'member',
    });
  });

  it('needs authentication', async () => {
    const result = await server.graphql(DELETE, { email: 'a@example.com' });
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED' });
  });
});
