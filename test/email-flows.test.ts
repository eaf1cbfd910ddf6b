/**
 * Verification, password recovery and email change, end to end: mutation →
 * message received by a real SMTP server → link → result, with the rows
 * afterwards. Codes are single use, expire (TTLs set through configuration),
 * are superseded, and a used or refused code changes nothing.
 */
import {
  createScratchDatabase,
  startTestServer,
  type GraphQLResult,
  type TestServer,
} from './helpers/app';
import { CREATE_TOKEN, PASSWORD, signUp, uniqueEmail, type SignedUp } from './helpers/factories';
import { linkIn, linkToken, startSmtpServer, type TestSmtpServer } from './helpers/smtp';

const VIEWER = '{ viewer { profile { email emailVerified } } }';
const VERIFY = 'mutation V($t: String!) { verifyEmail(token: $t) { id email emailVerified } }';
const REQUEST_VERIFICATION = 'mutation { requestEmailVerification }';
const REQUEST_RESET = 'mutation R($e: String!) { requestPasswordReset(email: $e) }';
const RESET = `mutation P($t: String!, $p: String!) {
  resetPassword(token: $t, newPassword: $p) { token viewer { id profile { email emailVerified } } }
}`;
const REQUEST_CHANGE =
  'mutation C($input: RequestEmailChangeInput!) { requestEmailChange(input: $input) }';
const CONFIRM_CHANGE =
  'mutation F($t: String!) { confirmEmailChange(token: $t) { id email emailVerified } }';
const CHANGE_PASSWORD = `mutation CP($input: ChangePasswordInput!) { changePassword(input: $input) { message } }`;

type Profile = { id: string; email: string; emailVerified: boolean };

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
    // Short enough to expire within a test, long enough to use in one.
    CODE_TTL_EMAIL_CHANGE_SECONDS: '3',
    RATE_LIMITS: 'passwordResetPerEmail=3/3600,passwordResetPerAddress=1000/3600',
  });
});
afterAll(async () => {
  await server.close();
  await smtp.stop();
});

function expectTokenError(result: GraphQLResult, reason: string): void {
  expect(result.status).toBe(200);
  expect(result.errors?.[0]?.extensions).toMatchObject({
    code: 'BAD_USER_INPUT',
    field: 'token',
    reason,
  });
  expect(result.data ?? null).toBeNull();
}

async function verified(userId: string): Promise<boolean> {
  const [row] = await server.sql<{ email_verified: boolean }>(
    'select email_verified from users where id = ?',
    [userId],
  );
  return row!.email_verified;
}

async function resetLinkFor(user: { email: string }): Promise<string> {
  const result = await server.graphql(REQUEST_RESET, { e: user.email });
  expect(result.data).toEqual({ requestPasswordReset: true });
  return linkToken((await smtp.nextMessageTo(user.email)).text);
}

describe('email verification', () => {
  it('sign-up mails a verification link; the link verifies the address (GraphQL and REST)', async () => {
    const user = await signUp(server);
    const mail = await smtp.nextMessageTo(user.email);
    expect(mail.subject).toBe('Verify your email address for Account');
    expect(linkIn(mail.text)).toMatch(
      /^https:\/\/app\.account\.test\/verify-email\?token=[A-Za-z0-9_-]{43}$/,
    );
    expect(await verified(user.id)).toBe(false);

    const result = await server.graphql<{ verifyEmail: Profile }>(VERIFY, {
      t: linkToken(mail.text),
    });
    expect(result.errors).toBeUndefined();
    expect(result.data?.verifyEmail).toEqual({
      id: user.id,
      email: user.email,
      emailVerified: true,
    });
    expect(await verified(user.id)).toBe(true);

    const rest = await fetch(`${server.url}/api/users/profile`, {
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(((await rest.json()) as { email_verified: boolean }).email_verified).toBe(true);
    const codes = await server.sql<{ used_at: Date | null; code_hash: Buffer }>(
      "select used_at, code_hash from one_time_codes where user_id = ? and purpose = 'email_verification'",
      [user.id],
    );
    expect(codes).toHaveLength(1);
    expect(codes[0]!.used_at).not.toBeNull();
    expect(codes[0]!.code_hash).toHaveLength(32);
  });

  it('a code works once: the second use is TOKEN_USED and changes nothing', async () => {
    const user = await signUp(server);
    const token = linkToken((await smtp.nextMessageTo(user.email)).text);
    expect((await server.graphql(VERIFY, { t: token })).errors).toBeUndefined();
    const before = await server.sql('select updated_at from users where id = ?', [user.id]);
    expectTokenError(await server.graphql(VERIFY, { t: token }), 'TOKEN_USED');
    expect(await server.sql('select updated_at from users where id = ?', [user.id])).toEqual(
      before,
    );
  });

  it('garbage and unknown codes are TOKEN_INVALID, a code of another purpose too', async () => {
    expectTokenError(await server.graphql(VERIFY, { t: 'garbage' }), 'TOKEN_INVALID');
    expectTokenError(await server.graphql(VERIFY, { t: 'x'.repeat(5_000) }), 'TOKEN_INVALID');
    expectTokenError(await server.graphql(VERIFY, { t: 'A'.repeat(43) }), 'TOKEN_INVALID');
    const user = await signUp(server);
    await smtp.nextMessageTo(user.email);
    const resetToken = await resetLinkFor(user);
    expectTokenError(await server.graphql(VERIFY, { t: resetToken }), 'TOKEN_INVALID');
    expect(await verified(user.id)).toBe(false);
  });

  it('requestEmailVerification sends a new link and supersedes the old one', async () => {
    const user = await signUp(server);
    const first = linkToken((await smtp.nextMessageTo(user.email)).text);
    const again = await server.graphql(REQUEST_VERIFICATION, {}, user.token);
    expect(again.data).toEqual({ requestEmailVerification: true });
    const second = linkToken((await smtp.nextMessageTo(user.email)).text);
    expect(second).not.toBe(first);
    expectTokenError(await server.graphql(VERIFY, { t: first }), 'TOKEN_INVALID');
    expect((await server.graphql(VERIFY, { t: second })).errors).toBeUndefined();
    const done = await server.graphql(REQUEST_VERIFICATION, {}, user.token);
    expect(done.data).toEqual({ requestEmailVerification: false });
    expect((await server.graphql(REQUEST_VERIFICATION, {})).errors?.[0]?.extensions['code']).toBe(
      'UNAUTHENTICATED',
    );
  });

  it('20 concurrent uses of one code: exactly one wins, the others are TOKEN_USED', async () => {
    for (let round = 0; round < 3; round++) {
      const user = await signUp(server);
      const token = linkToken((await smtp.nextMessageTo(user.email)).text);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => server.graphql(VERIFY, { t: token })),
      );
      expect(results.filter((r) => r.errors === undefined)).toHaveLength(1);
      const reasons = results.flatMap((r) => (r.errors ?? []).map((e) => e.extensions['reason']));
      expect(reasons).toEqual(Array.from({ length: 19 }, () => 'TOKEN_USED'));
    }
  });
});

describe('password recovery', () => {
  it('resets the password through the mailed link: old tokens revoked, fresh token, verified, notice sent', async () => {
    const user = await signUp(server);
    await smtp.nextMessageTo(user.email); // the verification mail
    const second = await server.graphql<{ createAccessToken: { token: string } }>(CREATE_TOKEN, {
      input: { email: user.email, password: PASSWORD },
    });
    const otherToken = second.data!.createAccessToken.token;

    const token = await resetLinkFor(user);
    const result = await server.graphql<{
      resetPassword: { token: string; viewer: { id: string; profile: Profile } };
    }>(RESET, { t: token, p: 'Brand-New-Passw0rd' });
    expect(result.errors).toBeUndefined();
    expect(result.data?.resetPassword.viewer).toEqual({
      id: user.id,
      profile: { email: user.email, emailVerified: true },
    });
    const fresh = result.data!.resetPassword.token;
    for (const old of [user.token, otherToken]) {
      expect((await server.graphql(VIEWER, {}, old)).errors?.[0]?.extensions['code']).toBe(
        'UNAUTHENTICATED',
      );
    }
    expect((await server.graphql(VIEWER, {}, fresh)).errors).toBeUndefined();
    const signIn = await server.graphql(CREATE_TOKEN, {
      input: { email: user.email, password: 'Brand-New-Passw0rd' },
    });
    expect(signIn.errors).toBeUndefined();
    const oldSignIn = await server.graphql(CREATE_TOKEN, {
      input: { email: user.email, password: PASSWORD },
    });
    expect(oldSignIn.errors?.[0]?.extensions['code']).toBe('UNAUTHENTICATED');
    const notice = await smtp.nextMessageTo(user.email);
    expect(notice.subject).toBe('Your Account password was reset');
    expect(notice.text).not.toMatch(/token=/);
    expectTokenError(
      await server.graphql(RESET, { t: token, p: 'Another-Passw0rd' }),
      'TOKEN_USED',
    );
  });

  it('answers the same for an unknown address, and mails it nothing', async () => {
    const known = await signUp(server);
    await smtp.nextMessageTo(known.email);
    const unknown = uniqueEmail('nobody');
    const a = await server.graphql(REQUEST_RESET, { e: known.email });
    const b = await server.graphql(REQUEST_RESET, { e: unknown });
    expect(a.status).toBe(b.status);
    expect(a.text).toBe(b.text);
    expect(JSON.parse(a.text)).toEqual({ data: { requestPasswordReset: true } });
    await smtp.nextMessageTo(known.email);
    // A later mail to the known address has arrived; the unknown one got nothing.
    expect(smtp.messagesTo(unknown)).toHaveLength(0);
    const rows = await server.sql('select 1 from mail_outbox where recipient = ?', [unknown]);
    expect(rows).toHaveLength(0);
  });

  it('rate-limits per target address the same for known and unknown addresses', async () => {
    const known = await signUp(server);
    const unknown = uniqueEmail('nobody');
    for (const email of [known.email, unknown]) {
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await server.graphql(REQUEST_RESET, { e: email }));
      expect(answers.slice(0, 3).map((r) => r.status)).toEqual([200, 200, 200]);
      expect(answers[3]!.status).toBe(429);
      expect(answers[3]!.errors?.[0]?.extensions['code']).toBe('RATE_LIMITED');
    }
  });

  it('applies the password policy and changes nothing on a bad password', async () => {
    const user = await signUp(server);
    await smtp.nextMessageTo(user.email);
    const token = await resetLinkFor(user);
    const weak = await server.graphql(RESET, { t: token, p: 'short' });
    expect(weak.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'newPassword',
    });
    expect(weak.text).not.toContain('short"');
    expect((await server.graphql(VIEWER, {}, user.token)).errors).toBeUndefined();
    const ok = await server.graphql(RESET, { t: token, p: 'Good-Enough-Passw0rd' });
    expect(ok.errors).toBeUndefined();
  });

  it('a password change kills outstanding reset links and sends a notice', async () => {
    const user = await signUp(server);
    await smtp.nextMessageTo(user.email);
    const token = await resetLinkFor(user);
    const changed = await server.graphql(
      CHANGE_PASSWORD,
      { input: { currentPassword: PASSWORD, newPassword: 'Changed-Passw0rd' } },
      user.token,
    );
    expect(changed.errors).toBeUndefined();
    const notice = await smtp.nextMessageTo(user.email);
    expect(notice.subject).toBe('Your Account password was changed');
    expectTokenError(
      await server.graphql(RESET, { t: token, p: 'Another-Passw0rd' }),
      'TOKEN_INVALID',
    );
  });
});

describe('email change', () => {
  async function requestChange(user: SignedUp, newEmail: string): Promise<GraphQLResult> {
    return server.graphql(
      REQUEST_CHANGE,
      { input: { newEmail, currentPassword: user.password } },
      user.token,
    );
  }

  it('confirms from the new address, notices the old one, and switches the address', async () => {
    const user = await signUp(server);
    await smtp.nextMessageTo(user.email);
    const newEmail = uniqueEmail('moved');
    expect((await requestChange(user, newEmail.toUpperCase())).data).toEqual({
      requestEmailChange: true,
    });
    const confirm = await smtp.nextMessageTo(newEmail);
    expect(confirm.subject).toBe('Confirm your new email address for Account');
    const notice = await smtp.nextMessageTo(user.email);
    expect(notice.subject).toBe('A change of your Account email address was requested');
    expect(notice.text).not.toMatch(/token=/);
    expect((await server.graphql(VIEWER, {}, user.token)).data).toEqual({
      viewer: { profile: { email: user.email, emailVerified: false } },
    });

    const result = await server.graphql<{ confirmEmailChange: Profile }>(CONFIRM_CHANGE, {
      t: linkToken(confirm.text),
    });
    expect(result.data?.confirmEmailChange).toEqual({
      id: user.id,
      email: newEmail,
      emailVerified: true,
    });
    const changed = await smtp.nextMessageTo(user.email);
    expect(changed.subject).toBe('Your Account email address was changed');
    expect(changed.text).toContain(newEmail);
    const signIn = await server.graphql(CREATE_TOKEN, {
      input: { email: newEmail, password: PASSWORD },
    });
    expect(signIn.errors).toBeUndefined();
  });

  it('checks the current password under the attempt limit, and refuses a taken or unchanged address', async () => {
    const user = await signUp(server);
    const other = await signUp(server);
    const wrong = await server.graphql(
      REQUEST_CHANGE,
      { input: { newEmail: uniqueEmail(), currentPassword: 'Wrong-Passw0rd' } },
      user.token,
    );
    expect(wrong.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'currentPassword',
    });
    const taken = await requestChange(user, other.email.toUpperCase());
    expect(taken.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'newEmail' });
    const same = await requestChange(user, user.email);
    expect(same.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'newEmail',
    });
    const bad = await requestChange(user, 'not-an-address');
    expect(bad.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'newEmail',
    });
    const codes = await server.sql(
      "select 1 from one_time_codes where user_id = ? and purpose = 'email_change'",
      [user.id],
    );
    expect(codes).toHaveLength(0);
  });

  it('a taken address at confirmation is CONFLICT, nothing changes, and the code stays usable', async () => {
    const user = await signUp(server);
    const wanted = uniqueEmail('wanted');
    await requestChange(user, wanted);
    const token = linkToken((await smtp.nextMessageTo(wanted)).text);
    const squatter = await signUp(server, { email: wanted });
    const conflict = await server.graphql(CONFIRM_CHANGE, { t: token });
    expect(conflict.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'newEmail' });
    const [row] = await server.sql<{ email: string }>('select email from users where id = ?', [
      user.id,
    ]);
    expect(row!.email).toBe(user.email);
    await server.graphql(
      'mutation D($e: String!) { deleteAccount(confirmEmail: $e) { message } }',
      {
        e: wanted,
      },
      squatter.token,
    );
    const ok = await server.graphql<{ confirmEmailChange: Profile }>(CONFIRM_CHANGE, { t: token });
    expect(ok.data?.confirmEmailChange.email).toBe(wanted);
  });

  it('an expired confirmation link is TOKEN_EXPIRED (CODE_TTL_EMAIL_CHANGE_SECONDS=3)', async () => {
    const user = await signUp(server);
    const newEmail = uniqueEmail('late');
    await requestChange(user, newEmail);
    const token = linkToken((await smtp.nextMessageTo(newEmail)).text);
    // Wait until the code's own expiry has passed (not a fixed delay: the request may be slow).
    const [code] = await server.sql<{ expires_at: Date }>(
      "select expires_at from one_time_codes where user_id = ? and purpose = 'email_change'",
      [user.id],
    );
    const wait = new Date(code!.expires_at).getTime() + 200 - Date.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
    expectTokenError(await server.graphql(CONFIRM_CHANGE, { t: token }), 'TOKEN_EXPIRED');
    const [row] = await server.sql<{ email: string }>('select email from users where id = ?', [
      user.id,
    ]);
    expect(row!.email).toBe(user.email);
  });
});

describe('export and deletion', () => {
  it('the export shows verification state and the pending new address, never a code', async () => {
    const user = await signUp(server);
    await smtp.nextMessageTo(user.email);
    const newEmail = uniqueEmail('pending');
    await server.graphql(
      REQUEST_CHANGE,
      { input: { newEmail, currentPassword: PASSWORD } },
      user.token,
    );
    const token = linkToken((await smtp.nextMessageTo(newEmail)).text);
    const exported = await server.graphql<{ exportData: Record<string, unknown> }>(
      'mutation { exportData }',
      {},
      user.token,
    );
    const data = exported.data!.exportData as {
      email: { address: string; verified: boolean; pendingChange: { newEmail: string } | null };
    };
    expect(data.email).toMatchObject({
      address: user.email,
      verified: false,
      pendingChange: { newEmail },
    });
    expect(exported.text).not.toContain(token);
  });

  it('deleting the account removes its codes and its undelivered mail', async () => {
    smtp.mode = 'tempfail';
    try {
      const user = await signUp(server);
      const pending = await server.sql<{ id: string }>(
        'select id from mail_outbox where user_id = ?',
        [user.id],
      );
      expect(pending).toHaveLength(1);
      const deleted = await server.graphql(
        'mutation D($e: String!) { deleteAccount(confirmEmail: $e) { message } }',
        { e: user.email },
        user.token,
      );
      expect(deleted.errors).toBeUndefined();
      expect(await server.sql('select 1 from mail_outbox where user_id = ?', [user.id])).toEqual(
        [],
      );
      expect(await server.sql('select 1 from one_time_codes where user_id = ?', [user.id])).toEqual(
        [],
      );
      expect(
        await server.sql("select 1 from pgboss.job where data->>'outboxId' = ?", [pending[0]!.id]),
      ).toEqual([]);
      smtp.mode = 'accept';
      const later = await signUp(server);
      await smtp.nextMessageTo(later.email);
      expect(smtp.messagesTo(user.email)).toHaveLength(0);
    } finally {
      smtp.mode = 'accept';
    }
  });
});
