import { startTestServer, type TestServer } from './helpers/app';
import { CREATE_TOKEN, PASSWORD, SIGN_UP, signUp, uniqueEmail } from './helpers/factories';

const CHANGE_PASSWORD = /* GraphQL */ `
  mutation Change($input: ChangePasswordInput!) {
    changePassword(input: $input) {
      message
      viewer {
        id
      }
    }
  }
`;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const tooLong = `Aa1${'x'.repeat(126)}`; // 129 characters

const policy: [string, string, RegExp][] = [
  ['shorter than 8 characters', 'Ab1defg', /at least 8 characters/],
  ['without an uppercase letter', 'lowercase-only-1', /uppercase letter/],
  ['without a digit', 'No-Digits-Here', /digit/],
  ['longer than 128 characters', tooLong, /at most 128 characters/],
];

describe('password policy on signUp', () => {
  it.each(policy)(
    'refuses a password %s, without echoing it or creating the account',
    async (_rule, password, message) => {
      const email = uniqueEmail('policy');
      const result = await server.graphql(SIGN_UP, { input: { email, password, name: 'P' } });

      expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'password' });
      expect(result.errors?.[0]?.message).toMatch(message);
      expect(result.text).not.toContain(password);
      const rows = await server
        .em()
        .getConnection()
        .execute('select 1 from users where email = ?', [email]);
      expect(rows).toHaveLength(0);
    },
  );

  it('reports every broken rule at once', async () => {
    const result = await server.graphql(SIGN_UP, {
      input: { email: uniqueEmail(), password: 'short', name: 'P' },
    });
    const message = result.errors?.[0]?.message ?? '';
    expect(message).toMatch(/at least 8 characters/);
    expect(message).toMatch(/uppercase letter/);
    expect(message).toMatch(/digit/);
  });

  it('accepts a password that meets every rule exactly', async () => {
    const user = await signUp(server, { password: 'Abcdefg1' });
    expect(user.token).toMatch(/^acct_live_/);
  });

  it('does not echo a password of the wrong type', async () => {
    const result = await server.graphql(SIGN_UP, {
      input: { email: uniqueEmail(), password: 987654321, name: 'P' },
    });
    expect(result.status).toBe(400);
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'password' });
    expect(result.text).not.toContain('987654321');
  });
});

describe('changePassword', () => {
  it('changes the password: the new one signs in, the old one no longer does, tokens stay valid', async () => {
    const user = await signUp(server);
    const newPassword = 'Brand-New-Passw0rd';

    const result = await server.graphql(
      CHANGE_PASSWORD,
      {
        input: { currentPassword: user.password, newPassword },
      },
      user.token,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      changePassword: { message: 'Password changed successfully', viewer: { id: user.id } },
    });

    const withOld = await server.graphql(CREATE_TOKEN, {
      input: { email: user.email, password: user.password },
    });
    expect(withOld.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED' });
    const withNew = await server.graphql<{ createAccessToken: { viewer: { id: string } } }>(
      CREATE_TOKEN,
      {
        input: { email: user.email, password: newPassword },
      },
    );
    expect(withNew.data?.createAccessToken.viewer.id).toBe(user.id);

    const me = await server.graphql<{ viewer: { id: string } }>(
      '{ viewer { id } }',
      {},
      user.token,
    );
    expect(me.data?.viewer.id).toBe(user.id);
  });

  it('answers a wrong current password with BAD_USER_INPUT and keeps the old password', async () => {
    const user = await signUp(server);
    const [before] = await server
      .em()
      .getConnection()
      .execute('select password_hash from users where id = ?', [user.id]);

    const result = await server.graphql(
      CHANGE_PASSWORD,
      {
        input: { currentPassword: 'Not-The-Passw0rd', newPassword: 'Another-Passw0rd' },
      },
      user.token,
    );

    expect(result.errors?.[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'currentPassword',
    });
    expect(result.text).not.toContain('Not-The-Passw0rd');
    expect(result.text).not.toContain('Another-Passw0rd');
    const [after] = await server
      .em()
      .getConnection()
      .execute('select password_hash from users where id = ?', [user.id]);
    expect(after).toEqual(before);
  });

  it.each(policy)('refuses a new password %s', async (_rule, newPassword, message) => {
    const user = await signUp(server);
    const result = await server.graphql(
      CHANGE_PASSWORD,
      {
        input: { currentPassword: user.password, newPassword },
      },
      user.token,
    );

    expect(result.errors?.[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'newPassword',
    });
    expect(result.errors?.[0]?.message).toMatch(message);
    expect(result.text).not.toContain(newPassword);
    const stillWorks = await server.graphql(CREATE_TOKEN, {
      input: { email: user.email, password: PASSWORD },
    });
    expect(stillWorks.errors).toBeUndefined();
  });

  it('needs authentication', async () => {
    const result = await server.graphql(CHANGE_PASSWORD, {
      input: { currentPassword: PASSWORD, newPassword: 'Brand-New-Passw0rd' },
    });
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED' });
  });
});
