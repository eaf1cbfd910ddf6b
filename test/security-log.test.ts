import { startTestServer, type TestServer } from './helpers/app';
import { ONBOARDING_EXAMPLE } from './helpers/documents';
import { PASSWORD, signUp } from './helpers/factories';
import { acceptById, createOrganization, invite, markVerified } from './helpers/organizations';
import { RestClient } from './helpers/rest';

/*
 * The security log a user can read: a scripted session's events in order, no
 * secret anywhere (log, export, responses), reads that write nothing, and a
 * retention purge that several instances may run at once.
 */

let a: TestServer;
let b: TestServer;
beforeAll(async () => {
  [a, b] = await Promise.all([startTestServer(), startTestServer()]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});

const LOG = /* GraphQL */ `
  query Log($first: Int, $after: String) {
    viewer {
      securityEvents(first: $first, after: $after) {
        edges {
          cursor
          node {
            id
            type
            occurredAt
            ip
            userAgent
            subjectId
          }
        }
        nodes {
          type
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`;

interface LogPage {
  viewer: {
    securityEvents: {
      edges: {
        cursor: string;
        node: {
          id: string;
          type: string;
          occurredAt: string;
          ip: string | null;
          userAgent: string | null;
          subjectId: string | null;
        };
      }[];
      nodes: { type: string }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    };
  };
}

const SIGN_IN = /* GraphQL */ `
  mutation SignIn($input: CreateAccessTokenInput!) {
    createAccessToken(input: $input) {
      token
      accessToken {
        id
      }
    }
  }
`;

describe('the security log', () => {
  it("shows a scripted session's events in order, and no secret is anywhere", async () => {
    const responses: string[] = [];
    const keep = <T extends { text: string }>(response: T): T => {
      responses.push(response.text);
      return response;
    };
    const rest = new RestClient(a);
    const user = await signUp(a);
    await a.sql("update users set plan = 'growth' where id = ?", [user.id]);
    const agent = { 'user-agent': 'ScriptedSession/1.0' };

    keep(await a.graphql(SIGN_IN, { input: { email: user.email, password: 'Wrong-Passw0rd' } }));
    // The two sign-ins below answer with their token (shown once): not kept for the search.
    const short = (
      await a.graphql<{ createAccessToken: { token: string; accessToken: { id: string } } }>(
        SIGN_IN,
        { input: { email: user.email, password: PASSWORD, expiresIn: 'DAYS_7' } },
        undefined,
        agent,
      )
    ).data!.createAccessToken;
    await a.sql("update access_tokens set expires_at = now() - interval '1 second' where id = ?", [
      short.accessToken.id,
    ]);
    keep(await a.graphql('{ viewer { id } }', {}, short.token));
    keep(await b.graphql('{ viewer { id } }', {}, short.token)); // logged once, on any instance
    const second = (
      await a.graphql<{ createAccessToken: { token: string; accessToken: { id: string } } }>(
        SIGN_IN,
        { input: { email: user.email, password: PASSWORD } },
      )
    ).data!.createAccessToken;

    const firstKey = 'sk-proj-firstsecretkey-1111';
    const secondKey = 'sk-proj-secondsecretkey-2222';
    keep(
      await rest.request('POST', '/api/user/api-keys', {
        token: user.token,
        body: { provider: 'openai', key: firstKey },
      }),
    );
    const replaced = keep(
      await rest.request<{ id: string }>('POST', '/api/user/api-keys', {
        token: user.token,
        body: { provider: 'openai', key: secondKey },
      }),
    );
    keep(
      await rest.request('DELETE', `/api/user/api-keys/${replaced.body.id}`, { token: user.token }),
    );
    keep(
      await rest.request('POST', '/api/user/onboarding', {
        token: user.token,
        body: { ...ONBOARDING_EXAMPLE, createOrg: true },
      }),
    );
    keep(
      await a.graphql(
        'mutation($id: ID!) { revokeAccessToken(id: $id) { id } }',
        { id: second.accessToken.id },
        user.token,
      ),
    );
    const newPassword = 'Changed-Passw0rd';
    keep(
      await a.graphql(
        'mutation($input: ChangePasswordInput!) { changePassword(input: $input) { message } }',
        { input: { currentPassword: PASSWORD, newPassword, revokeOtherTokens: true } },
        user.token,
      ),
    );
    const exported = keep(
      await rest.request('GET', '/api/user/data-export', { token: user.token }),
    );
    expect(exported.status).toBe(200);

    const log = keep(await a.graphql<LogPage>(LOG, { first: 100 }, user.token));
    expect(log.errors).toBeUndefined();
    const events = log.data!.viewer.securityEvents.edges.map((edge) => edge.node);
    expect(events.map((event) => event.type).reverse()).toEqual([
      'SIGN_UP',
      'SIGN_IN_FAILED',
      'SIGN_IN',
      'TOKEN_EXPIRED',
      'SIGN_IN',
      'PROVIDER_KEY_ADDED',
      'PROVIDER_KEY_REPLACED',
      'PROVIDER_KEY_REMOVED',
      'ORGANIZATION_MEMBERSHIP_ADDED',
      'ONBOARDING_COMPLETED',
      'TOKEN_REVOKED',
      'PASSWORD_CHANGED',
      'OTHER_TOKENS_REVOKED',
      'DATA_EXPORTED',
    ]);
    expect(log.data!.viewer.securityEvents.nodes.map((n) => n.type)).toEqual(
      events.map((e) => e.type),
    );
    // What each is about, and from where.
    const byType = (type: string) => events.filter((event) => event.type === type);
    expect(byType('SIGN_UP')[0]?.subjectId).toBe(user.tokenId);
    expect(byType('TOKEN_EXPIRED')[0]?.subjectId).toBe(short.accessToken.id);
    expect(byType('TOKEN_REVOKED')[0]?.subjectId).toBe(second.accessToken.id);
    expect(byType('PROVIDER_KEY_REMOVED')[0]?.subjectId).toBe(replaced.body.id);
    const signIn = byType('SIGN_IN').find((e) => e.subjectId === short.accessToken.id);
    expect(signIn?.userAgent).toBe('ScriptedSession/1.0');
    expect(signIn?.ip).toMatch(/^10\.\d+\.\d+\.0\/24$/);

    // The export holds the same log, oldest first.
    const exportedLog = (exported.body as { securityEvents: { type: string }[] }).securityEvents;
    expect(exportedLog.map((event) => event.type)).toEqual(
      events.map((event) => event.type).reverse(),
    );

    // No password, token or provider key in the log, the export or any response.
    const stored = JSON.stringify(
      await a.sql('select * from security_events where user_id = ?', [user.id]),
    );
    const secrets = [
      PASSWORD,
      newPassword,
      'Wrong-Passw0rd',
      user.token,
      short.token,
      second.token,
      firstKey,
      secondKey,
    ];
    for (const text of [stored, exported.text, ...responses]) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });

  it('pages newest first with cursors', async () => {
    const user = await signUp(a);
    for (let i = 0; i < 4; i++) {
      await a.graphql(SIGN_IN, { input: { email: user.email, password: 'Wrong-Passw0rd' } });
    }
    const all = (
      await a.graphql<LogPage>(LOG, { first: 100 }, user.token)
    ).data!.viewer.securityEvents.edges.map((edge) => edge.node.id);
    expect(all).toHaveLength(5);

    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: LogPage['viewer']['securityEvents'] = (
        await a.graphql<LogPage>(LOG, { first: 2, after }, user.token)
      ).data!.viewer.securityEvents;
      seen.push(...page.edges.map((edge) => edge.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(all);

    const bad = await a.graphql(LOG, { first: 2, after: 'not-a-cursor' }, user.token);
    expect(bad.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
    const big = await a.graphql(LOG, { first: 1000 }, user.token);
    expect(big.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  it('is written by no read of the hot paths', async () => {
    const user = await signUp(a);
    const count = async () =>
      (
        await a.sql<{ n: number }>(
          'select count(*)::int as n from security_events where user_id = ?',
          [user.id],
        )
      )[0]!.n;
    const before = await count();
    const rest = new RestClient(a);
    await rest.request('GET', '/api/user/profile', { token: user.token });
    await rest.request('GET', '/api/users/profile', { token: user.token });
    await a.graphql(
      '{ viewer { id profile { name } accessTokens { id } planLimits { plan } } }',
      {},
      user.token,
    );
    await a.graphql(LOG, {}, user.token);
    expect(await count()).toBe(before);
  });

  it("records organization membership changes in the member's log, without the actor's address", async () => {
    const owner = await signUp(a);
    const member = await signUp(a);
    await markVerified(a, member.id);
    const organizationId = await createOrganization(a, owner.token, 'Logged Co');
    const [invitation] = await invite(a, owner.token, organizationId, [member.email]);
    const membershipId = await acceptById(a, member.token, invitation!.id);
    await a.graphql(
      'mutation($input: UpdateMemberRoleInput!) { updateMemberRole(input: $input) { id } }',
      { input: { membershipId, role: 'admin' } },
      owner.token,
    );
    await a.graphql(
      'mutation($id: ID!) { removeMember(membershipId: $id) { id } }',
      { id: membershipId },
      owner.token,
    );

    const log = (await a.graphql<LogPage>(LOG, { first: 100 }, member.token))
      .data!.viewer.securityEvents.edges.map((edge) => edge.node)
      .reverse();
    expect(log.map((event) => [event.type, event.subjectId])).toEqual([
      ['SIGN_UP', member.tokenId],
      ['ORGANIZATION_MEMBERSHIP_ADDED', organizationId],
      ['ORGANIZATION_MEMBERSHIP_CHANGED', organizationId],
      ['ORGANIZATION_MEMBERSHIP_REMOVED', organizationId],
    ]);
    // The member's own acceptance carries their client; the owner's changes carry none.
    expect(log[1]?.ip).not.toBeNull();
    expect([log[2]?.ip, log[2]?.userAgent, log[3]?.ip, log[3]?.userAgent]).toEqual([
      null,
      null,
      null,
      null,
    ]);
    const ownerLog = (
      await a.graphql<LogPage>(LOG, { first: 100 }, owner.token)
    ).data!.viewer.securityEvents.nodes.map((node) => node.type);
    expect(ownerLog).toContain('ORGANIZATION_MEMBERSHIP_ADDED'); // created the organization
  });

  it('goes with the account', async () => {
    const user = await signUp(a);
    await new RestClient(a).request('DELETE', '/api/user/delete-account', {
      token: user.token,
      body: { confirmEmail: user.email },
    });
    expect(await a.sql('select id from security_events where user_id = ?', [user.id])).toEqual([]);
  });
});

describe('the retention purge', () => {
  it('deletes events older than 90 days, also when two instances purge at once', async () => {
    const user = await signUp(a);
    await a.sql(
      `insert into security_events (id, user_id, type, occurred_at)
       select 'sev_old' || g || '_' || ?, ?, 'SIGN_IN_FAILED', now() - interval '91 days'
       from generate_series(1, 2500) g`,
      [user.id.slice(5), user.id],
    );
    await a.sql(
      `insert into security_events (id, user_id, type, occurred_at)
       values (?, ?, 'SIGN_IN_FAILED', now() - interval '89 days')`,
      [`sev_recent_${user.id.slice(5)}`, user.id],
    );

    const [first, second] = await Promise.all([
      a.app.deps.securityLog.purge(),
      b.app.deps.securityLog.purge(),
    ]);
    expect(first + second).toBeGreaterThanOrEqual(2500);
    const left = await a.sql<{ type: string; old: boolean }>(
      `select type, occurred_at < now() - interval '90 days' as old from security_events where user_id = ? order by seq`,
      [user.id],
    );
    expect(left).toEqual([
      { type: 'SIGN_UP', old: false },
      { type: 'SIGN_IN_FAILED', old: false },
    ]);
    // It runs as a daily job, scheduled once for every instance.
    expect(
      await a.sql(
        "select name, cron, timezone from pgboss.schedule where name = 'security_log_purge'",
      ),
    ).toEqual([{ name: 'security_log_purge', cron: '17 3 * * *', timezone: 'UTC' }]);
    // Nothing left to do: a second run deletes nothing of this user's.
    await a.app.deps.securityLog.purge();
    expect(
      await a.sql('select count(*)::int as n from security_events where user_id = ?', [user.id]),
    ).toEqual([{ n: 2 }]);
  });
});
