import { randomClientAddress, startTestServer, type TestServer } from './helpers/app';
import { PASSWORD, signUp, type SignedUp } from './helpers/factories';
import { addMember, createOrganization } from './helpers/organizations';

/*
 * deleteAccount racing everything else the same user does: the requests that
 * lose answer UNAUTHENTICATED or NOT_FOUND (never 500), and no row of the
 * deleted user survives, whatever order the database served them in. Each
 * race runs many times, since one run proves little.
 */

jest.setTimeout(300_000);

const RUNS = 25;
const ORGANIZATION_RUNS = 20;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

interface Answer {
  name: string;
  status: number;
  code: string | undefined;
}

async function graphql(
  name: string,
  user: SignedUp,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<Answer> {
  const result = await server.graphql(query, variables, user.token);
  const code = result.errors?.[0]?.extensions['code'];
  return { name, status: result.status, code: typeof code === 'string' ? code : undefined };
}

async function rest(name: string, user: SignedUp, method: string, path: string, body: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      'x-forwarded-for': randomClientAddress(),
      authorization: `Bearer ${user.token}`,
    },
    body: JSON.stringify(body),
  });
  const parsed = (await response.json()) as { error?: { code?: string } };
  return { name, status: response.status, code: parsed.error?.code };
}

/** deleteAccount and the 9 other mutations, all sent at once. */
function race(user: SignedUp, run: number): Promise<Answer>[] {
  return [
    graphql(
      'deleteAccount',
      user,
      'mutation($e: String!) { deleteAccount(confirmEmail: $e) { message } }',
      { e: user.email },
    ),
    rest('DELETE /api/user/delete-account', user, 'DELETE', '/api/user/delete-account', {
      confirmEmail: user.email,
    }),
    graphql(
      'createAccessToken',
      user,
      'mutation($i: CreateAccessTokenInput!) { createAccessToken(input: $i) { token } }',
      { i: { email: user.email, password: PASSWORD } },
    ),
    graphql(
      'completeOnboarding',
      user,
      `mutation { completeOnboarding(input: {fullName: "Racer", jobTitle: "Lead", company: "Race Co",
         useCase: "Specs", teamSize: "small", prdStyle: "lean", interests: ["ai-chat"], createOrg: true,
         inviteEmails: ["invitee-${run}@example.com"]}) { onboarding { completed } } }`,
    ),
    graphql('addApiKey', user, 'mutation($i: AddApiKeyInput!) { addApiKey(input: $i) { id } }', {
      i: { provider: 'openai', key: `sk-proj-race-${run}-0123456789abcdef` },
    }),
    graphql('exportData', user, 'mutation { exportData }'),
    graphql('updateProfile', user, 'mutation { updateProfile(input: {bio: "racing"}) { id } }'),
    graphql(
      'changePassword',
      user,
      'mutation($i: ChangePasswordInput!) { changePassword(input: $i) { message } }',
      { i: { currentPassword: PASSWORD, newPassword: PASSWORD } },
    ),
    graphql('recordActivity', user, 'mutation { recordActivity { recorded } }'),
    graphql(
      'updateTimezone',
      user,
      'mutation { updateTimezone(timezone: "Europe/Berlin") { timezone } }',
    ),
  ];
}

/** Every row, in any text column of any table, that holds `value`. */
async function rowsHolding(value: string): Promise<string[]> {
  const columns = await server.sql<{ table_name: string; column_name: string }>(
    `select table_name, column_name from information_schema.columns
      where table_schema = 'public' and data_type in ('text', 'character varying', 'ARRAY')`,
  );
  const found: string[] = [];
  for (const { table_name: table, column_name: column } of columns) {
    const rows = await server.sql<{ v: string }>(
      `select "${column}"::text as v from "${table}" where "${column}"::text like ?`,
      [`%${value}%`],
    );
    for (const row of rows) found.push(`${table}.${column} = ${row.v}`);
  }
  return found;
}

describe('deleteAccount racing 9 other mutations of the same user', () => {
  it(`never answers 500, and leaves no row of the user (${RUNS} runs)`, async () => {
    const unexpected: string[] = [];
    const leftOver: string[] = [];
    let deleted = 0;
    for (let run = 0; run < RUNS; run++) {
      const user = await signUp(server);
      // Something of everything to delete, rate-limit rows included.
      await graphql(
        'addApiKey',
        user,
        'mutation { addApiKey(input: {provider: gemini, key: "AIza-0123456789abcdef"}) { id } }',
      );
      await graphql('exportData', user, 'mutation { exportData }');
      const answers = await Promise.all(race(user, run));
      for (const a of answers) {
        const fine =
          (a.status === 200 && a.code === undefined) ||
          (a.name === 'DELETE /api/user/delete-account' && a.status === 401) ||
          (a.name === 'DELETE /api/user/delete-account' && a.status === 404) ||
          a.code === 'UNAUTHENTICATED' ||
          a.code === 'NOT_FOUND';
        if (!fine) unexpected.push(`run ${run}: ${a.name} ${a.status} ${String(a.code)}`);
      }
      deleted += answers.filter(
        (a) => a.name.includes('elete') && a.status === 200 && !a.code,
      ).length;
      leftOver.push(...(await rowsHolding(user.id)).map((row) => `run ${run}: ${row}`));
      // The email: only a sign-in attempt that arrived after the deletion may
      // have counted itself against the address, as for any unknown address.
      leftOver.push(
        ...(await rowsHolding(user.email))
          .filter((row) => row !== `rate_limits.key = passwordAttempts:email:${user.email}`)
          .map((row) => `run ${run}: ${row}`),
      );
    }
    expect(unexpected).toEqual([]);
    expect(leftOver).toEqual([]);
    // Exactly one deletion won each race.
    expect(deleted).toBe(RUNS);
  });
});

describe('the owner and another member deleting their accounts at once', () => {
  it(`always leave the organization an owner (${ORGANIZATION_RUNS} runs)`, async () => {
    const problems: string[] = [];
    for (let run = 0; run < ORGANIZATION_RUNS; run++) {
      const owner = await signUp(server);
      const organization = await createOrganization(server, owner.token, `Org ${run}`);
      const older = await signUp(server);
      const younger = await signUp(server);
      // The leaving member joined before the one who stays (who therefore is
      // not the owner's first choice).
      await addMember(server, organization, older.id, 'member', new Date(Date.now() - 60_000));
      await addMember(server, organization, younger.id, 'member', new Date());
      const leaving = run % 2 === 0 ? [owner, older] : [older, owner];
      const answers = await Promise.all(
        leaving.map((user) =>
          graphql(
            'deleteAccount',
            user,
            'mutation($e: String!) { deleteAccount(confirmEmail: $e) { message } }',
            { e: user.email },
          ),
        ),
      );
      for (const a of answers) {
        if (a.status !== 200 || a.code)
          problems.push(`run ${run}: ${a.name} ${a.status} ${String(a.code)}`);
      }
      const members = await server.sql<{ user_id: string; role: string }>(
        'select user_id, role from memberships where organization_id = ?',
        [organization],
      );
      if (JSON.stringify(members) !== JSON.stringify([{ user_id: younger.id, role: 'owner' }])) {
        problems.push(`run ${run}: members left ${JSON.stringify(members)}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
