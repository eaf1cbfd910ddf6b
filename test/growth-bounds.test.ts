import { startTestServer, type TestServer } from './helpers/app';
import { ONBOARDING_EXAMPLE } from './helpers/documents';
import { signUp, uniqueEmail } from './helpers/factories';
import { createOrganization, invite } from './helpers/organizations';
import { RestClient } from './helpers/rest';
import { RETENTION_PURGE_JOB } from '../src/modules/account/retention';

/*
 * Bounded growth (issue 19, item 5): at most 500 pending invitations per
 * organization, on every path that invites, also under races; the account's
 * hourly invitation limit on every such path; activity kept 13 months and
 * dead tokens 90 days, purged by a daily job several instances may run at
 * once, and an export that shows what the retention keeps.
 */

let a: TestServer;
let b: TestServer;
beforeAll(async () => {
  // Generous invitation limits here: the limit itself has its own server below.
  const env = { RATE_LIMITS: 'invitations=10000/3600' };
  [a, b] = await Promise.all([startTestServer(env), startTestServer(env)]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});

const INVITE = /* GraphQL */ `
  mutation Invite($input: InviteMembersInput!) {
    inviteMembers(input: $input) {
      invitations {
        id
      }
    }
  }
`;

const ONBOARD = /* GraphQL */ `
  mutation Onboard($input: CompleteOnboardingInput!) {
    completeOnboarding(input: $input) {
      invitations {
        id
      }
    }
  }
`;

interface Errorish {
  errors?: { message: string; extensions: Record<string, unknown> }[];
}

/** `count` pending invitations to made-up addresses, straight into the database (a fixture). */
async function seedPending(
  server: TestServer,
  organizationId: string,
  count: number,
  expiresIn = "interval '14 days'",
): Promise<void> {
  await server.sql(
    `insert into invitations (id, organization_id, email, role, status, expires_at, created_at, updated_at)
     select 'inv_' || substr(md5(random()::text || g), 1, 22), ?, 'seed-' || g || '-' || md5(random()::text) || '@example.com',
            'member', 'pending', now() + ${expiresIn}, date_trunc('milliseconds', now()), now()
       from generate_series(1, ?) g`,
    [organizationId, count],
  );
}

async function pendingCount(server: TestServer, organizationId: string): Promise<number> {
  const [row] = await server.sql<{ n: number }>(
    `select count(*)::int as n from invitations
      where organization_id = ? and status = 'pending' and expires_at > now()`,
    [organizationId],
  );
  return row?.n ?? -1;
}

const emails = (n: number) => Array.from({ length: n }, () => uniqueEmail('invitee'));

describe('pending invitations per organization', () => {
  it('refuses to go past 500 pending with PLAN_LIMIT_EXCEEDED, creating none; expired ones do not count', async () => {
    const owner = await signUp(a);
    const organizationId = await createOrganization(a, owner.token, 'Capped');
    await seedPending(a, organizationId, 498);
    await seedPending(a, organizationId, 40, "- interval '1 day'"); // pending but expired

    const three = emails(3);
    const refused = await a.graphql<unknown>(
      INVITE,
      { input: { organizationId, emails: three } },
      owner.token,
    );
    expect(refused.data).toBeNull();
    expect((refused as Errorish).errors?.[0]?.extensions['code']).toBe('PLAN_LIMIT_EXCEEDED');
    expect(refused.errors?.[0]?.message).toBe(
      'An organization can have at most 500 pending invitations; it has 498 and this would add 3. Nothing was sent: revoke some (revokeInvitation) or wait until they are answered or expire.',
    );
    expect(await a.sql('select id from invitations where email in (?)', [three])).toEqual([]);
    expect(await pendingCount(a, organizationId)).toBe(498);

    // Up to the limit is fine; one more is not; a revoked one makes room.
    const two = await invite(a, owner.token, organizationId, emails(2));
    expect(two).toHaveLength(2);
    expect(await pendingCount(a, organizationId)).toBe(500);
    const one = await a.graphql(
      INVITE,
      { input: { organizationId, emails: emails(1) } },
      owner.token,
    );
    expect(one.errors?.[0]?.extensions['code']).toBe('PLAN_LIMIT_EXCEEDED');
    const revoked = await a.graphql(
      'mutation($id: ID!) { revokeInvitation(id: $id) { status } }',
      { id: two[0]!.id },
      owner.token,
    );
    expect(revoked.data).toEqual({ revokeInvitation: { status: 'revoked' } });
    expect(await invite(a, owner.token, organizationId, emails(1))).toHaveLength(1);
    expect(await pendingCount(a, organizationId)).toBe(500);
  });

  it("holds for onboarding's inviteEmails (POST /api/user/onboarding): 403, and the completion changes nothing", async () => {
    const owner = await signUp(a);
    const rest = new RestClient(a);
    const first = await rest.request('POST', '/api/user/onboarding', {
      token: owner.token,
      body: { ...ONBOARDING_EXAMPLE, createOrg: true },
    });
    expect(first.status).toBe(200);
    const [org] = await a.sql<{ id: string }>(
      'select organization_id as id from memberships where user_id = ?',
      [owner.id],
    );
    await seedPending(a, org!.id, 499);

    const two = emails(2);
    const refused = await rest.request('POST', '/api/user/onboarding', {
      token: owner.token,
      body: { ...ONBOARDING_EXAMPLE, company: 'Changed Corp', createOrg: true, inviteEmails: two },
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({
      error: {
        code: 'PLAN_LIMIT_EXCEEDED',
        message:
          'An organization can have at most 500 pending invitations; it has 499 and this would add 2. Nothing was sent: revoke some (revokeInvitation) or wait until they are answered or expire.',
      },
    });
    expect(await a.sql('select company from onboardings where user_id = ?', [owner.id])).toEqual([
      { company: ONBOARDING_EXAMPLE.company },
    ]);
    expect(await pendingCount(a, org!.id)).toBe(499);

    const fits = await rest.request<{ invitations: { email: string }[] }>(
      'POST',
      '/api/user/onboarding',
      {
        token: owner.token,
        body: { ...ONBOARDING_EXAMPLE, createOrg: true, inviteEmails: [two[0]] },
      },
    );
    expect(fits.status).toBe(200);
    expect(fits.body.invitations.map((invitation) => invitation.email)).toEqual([two[0]]);
    expect(await pendingCount(a, org!.id)).toBe(500);
  });

  it('holds when inviteMembers and onboarding race on two instances (20 rounds)', async () => {
    for (let round = 0; round < 20; round++) {
      const owner = await signUp(a);
      const organizationId = await createOrganization(a, owner.token, `Race ${round}`);
      await seedPending(a, organizationId, 495);
      // Six requests of two new addresses each against 5 free places: exactly two fit.
      const requests = Array.from({ length: 6 }, (_, i) => {
        const server = i % 2 === 0 ? a : b;
        return i < 4
          ? server.graphql(INVITE, { input: { organizationId, emails: emails(2) } }, owner.token)
          : server.graphql(
              ONBOARD,
              {
                input: {
                  ...ONBOARDING_EXAMPLE,
                  createOrg: true,
                  orgName: `Race ${round}`,
                  inviteEmails: emails(2),
                },
              },
              owner.token,
            );
      });
      const results = await Promise.all(requests);
      const codes = results.map((result) => result.errors?.[0]?.extensions['code'] ?? 'OK');
      expect(codes.filter((code) => code === 'OK')).toHaveLength(2);
      expect(codes.filter((code) => code === 'PLAN_LIMIT_EXCEEDED')).toHaveLength(4);
      expect(await pendingCount(a, organizationId)).toBe(499);
    }
  });
});

describe('the hourly invitation limit per account', () => {
  it('counts inviteMembers and onboarding with addresses alike; onboarding without addresses is not counted', async () => {
    const limited = await startTestServer({ RATE_LIMITS: 'invitations=3/3600' });
    try {
      const owner = await signUp(limited);
      const rest = new RestClient(limited);
      const onboard = (inviteEmails?: string[]) =>
        rest.request('POST', '/api/user/onboarding', {
          token: owner.token,
          body: {
            ...ONBOARDING_EXAMPLE,
            createOrg: true,
            ...(inviteEmails ? { inviteEmails } : {}),
          },
        });
      expect((await onboard()).status).toBe(200); // no addresses: not counted
      const [org] = await limited.sql<{ id: string }>(
        'select organization_id as id from memberships where user_id = ?',
        [owner.id],
      );
      await invite(limited, owner.token, org!.id, emails(1));
      expect((await onboard(emails(1))).status).toBe(200);
      await invite(limited, owner.token, org!.id, emails(1));

      const fourth = await limited.graphql(
        INVITE,
        { input: { organizationId: org!.id, emails: emails(1) } },
        owner.token,
      );
      expect(fourth.errors?.[0]?.extensions['code']).toBe('RATE_LIMITED');
      const viaOnboarding = await onboard(emails(1));
      expect(viaOnboarding.status).toBe(429);
      expect(viaOnboarding.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await pendingCount(limited, org!.id)).toBe(3);
      expect((await onboard()).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('retention: activity 13 months, revoked or expired tokens 90 days', () => {
  /** Old and recent rows of each kind for a new user; returns the user and the ids to expect. */
  async function seedAged(server: TestServer) {
    const user = await signUp(server);
    const tag = user.id.slice(5);
    await server.sql(
      `insert into activity_events (id, user_id, recorded_at) values
         (?, ?, now() - interval '13 months' - interval '1 day'),
         (?, ?, now() - interval '13 months' + interval '1 day'),
         (?, ?, now() - interval '1 hour')`,
      [`act_old_${tag}`, user.id, `act_kept_${tag}`, user.id, `act_new_${tag}`, user.id],
    );
    const token = (name: string, revoked: string | null, expires: string | null) =>
      server.sql(
        `insert into access_tokens (id, user_id, name, token_hash, created_at, updated_at, revoked_at, expires_at)
         values (?, ?, ?, md5(random()::text), now() - interval '200 days', now(),
                 now() - ${revoked ?? 'null'}::interval, now() - ${expires ?? 'null'}::interval)`,
        [`tok_${name}_${tag}`, user.id, name],
      );
    await token('revoked91', "interval '91 days'", null);
    await token('revoked89', "interval '89 days'", null);
    await token('expired91', null, "interval '91 days'");
    await token('expired89', null, "interval '89 days'");
    return {
      user,
      keptTokens: [user.tokenId, `tok_revoked89_${tag}`, `tok_expired89_${tag}`].sort(),
      keptActivity: [`act_kept_${tag}`, `act_new_${tag}`],
    };
  }

  it('the export shows what the retention keeps, whether or not the purge ran', async () => {
    const { user, keptTokens } = await seedAged(a);
    const result = await a.graphql<{
      exportData: {
        accessTokens: { id: string }[];
        activity: { events: string[] };
      };
    }>('mutation { exportData }', {}, user.token);
    const data = result.data!.exportData;
    expect(data.accessTokens.map((token) => token.id).sort()).toEqual(keptTokens);
    expect(data.activity.events).toHaveLength(2);
    const oldest = new Date(data.activity.events[0]!);
    const bound = new Date();
    bound.setUTCMonth(bound.getUTCMonth() - 13);
    expect(oldest.getTime()).toBeGreaterThan(bound.getTime());
  });

  it('a purge deletes only what outlived its retention, also with two instances at once', async () => {
    const { user, keptTokens, keptActivity } = await seedAged(a);
    // Enough old rows for several batches each.
    await a.sql(
      `insert into activity_events (id, user_id, recorded_at)
       select 'act_bulk_' || g || '_' || ?, ?, now() - interval '14 months' from generate_series(1, 2500) g`,
      [user.id.slice(5), user.id],
    );
    await a.sql(
      `insert into access_tokens (id, user_id, name, token_hash, created_at, updated_at, revoked_at)
       select 'tok_bulk_' || g || '_' || ?, ?, 'old', md5(random()::text || g), now(), now(), now() - interval '100 days'
         from generate_series(1, 1500) g`,
      [user.id.slice(5), user.id],
    );

    const [one, two] = await Promise.all([
      a.app.deps.retention.purge(),
      b.app.deps.retention.purge(),
    ]);
    expect(one.activityEvents + two.activityEvents).toBeGreaterThanOrEqual(2501);
    expect(one.accessTokens + two.accessTokens).toBeGreaterThanOrEqual(1502);
    expect(
      (
        await a.sql<{ id: string }>(
          'select id from activity_events where user_id = ? order by recorded_at',
          [user.id],
        )
      ).map((row) => row.id),
    ).toEqual(keptActivity);
    expect(
      (
        await a.sql<{ id: string }>('select id from access_tokens where user_id = ? order by id', [
          user.id,
        ])
      ).map((row) => row.id),
    ).toEqual(keptTokens);
    // The live token still works.
    const viewer = await a.graphql('{ viewer { id } }', {}, user.token);
    expect(viewer.data).toEqual({ viewer: { id: user.id } });
  });

  it('a purge deletes one-time codes a week past expiry and sent or failed mail after 30 days, never pending mail', async () => {
    const user = await signUp(a);
    const tag = user.id.slice(5);
    const code = (name: string, expiredAgo: string, used: boolean) =>
      a.sql(
        `insert into one_time_codes (id, purpose, user_id, code_hash, created_at, expires_at, used_at)
         values (?, 'password_reset', ?, decode(md5(random()::text), 'hex'), now() - interval '30 days',
                 now() - ?::interval, ${used ? "now() - interval '20 days'" : 'null'})`,
        [`otc_${name}_${tag}`, user.id, expiredAgo],
      );
    await code('old', '8 days', true);
    await code('recent', '6 days', false);
    const mail = (name: string, status: string, age: string) =>
      a.sql(
        `insert into mail_outbox (id, user_id, template, recipient, data, status, created_at)
         values (?, ?, 'password_reset', 'someone@example.com', '{}', ?, now() - ?::interval)`,
        [`mail_${name}_${tag}`, user.id, status, age],
      );
    await mail('sent31', 'sent', '31 days');
    await mail('sent29', 'sent', '29 days');
    await mail('failed31', 'failed', '31 days');
    await mail('pending60', 'pending', '60 days');

    // The export shows what the retention keeps before the purge runs too.
    const exported = await a.graphql<{
      exportData: { messages: { to: string; status: string }[] };
    }>('mutation { exportData }', {}, user.token);
    expect(
      exported
        .data!.exportData.messages.filter((message) => message.to === 'someone@example.com')
        .map((message) => message.status)
        .sort(),
    ).toEqual(['pending', 'sent']);

    const purged = await a.app.deps.retention.purge();
    expect(purged.oneTimeCodes).toBeGreaterThanOrEqual(1);
    expect(purged.mails).toBeGreaterThanOrEqual(2);
    const codes = await a.sql<{ id: string }>(
      `select id from one_time_codes where id like ? order by id`,
      [`otc_%_${tag}`],
    );
    expect(codes.map((row) => row.id)).toEqual([`otc_recent_${tag}`]);
    const mails = await a.sql<{ id: string }>(
      `select id from mail_outbox where id like ? order by id`,
      [`mail_%_${tag}`],
    );
    expect(mails.map((row) => row.id)).toEqual([`mail_pending60_${tag}`, `mail_sent29_${tag}`]);
  });

  it('runs as a daily job, scheduled once for all instances; a job sent now purges', async () => {
    expect(
      await a.sql('select name, cron, timezone from pgboss.schedule where name = ?', [
        RETENTION_PURGE_JOB,
      ]),
    ).toEqual([{ name: RETENTION_PURGE_JOB, cron: '37 4 * * *', timezone: 'UTC' }]);

    const { user, keptTokens, keptActivity } = await seedAged(a);
    await a.app.database.orm.em
      .fork()
      .transactional((em) => a.app.deps.jobs.send(em, RETENTION_PURGE_JOB, {}));
    // Taken by whichever instance polls first (every 2 s); bounded generously for a loaded machine.
    const deadline = Date.now() + 60_000;
    let activity: string[] = [];
    while (Date.now() < deadline) {
      activity = (
        await a.sql<{ id: string }>(
          'select id from activity_events where user_id = ? order by recorded_at',
          [user.id],
        )
      ).map((row) => row.id);
      if (activity.length === keptActivity.length) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(activity).toEqual(keptActivity);
    const tokensLeft = async () =>
      (
        await a.sql<{ id: string }>('select id from access_tokens where user_id = ? order by id', [
          user.id,
        ])
      ).map((row) => row.id);
    // Activity goes first, then tokens, in the same job run.
    while (Date.now() < deadline && (await tokensLeft()).length > keptTokens.length) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(await tokensLeft()).toEqual(keptTokens);
  });
});
