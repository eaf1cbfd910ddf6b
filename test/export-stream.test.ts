import http from 'node:http';
import { GRAPHQL_EXPORT_MAX_BYTES } from '../src/modules/account/export.service';
import { createScratchDatabase, startTestServer, type TestServer } from './helpers/app';
import { referenceExport } from './helpers/export-reference';
import { signUp, type SignedUp } from './helpers/factories';
import { addMember, createOrganization } from './helpers/organizations';

/**
 * The export is written as it is read (issue 19): a cursor over plain rows in
 * one REPEATABLE READ snapshot, JSON text batch by batch. What a client gets
 * must not change: the streamed text is compared, byte for byte, with what
 * the entity-based export gave (test/helpers/export-reference.ts, the old
 * code kept as it was), over every kind of row, several batches of each.
 * A failure after the first byte must never look like a complete export.
 */

/** More than one cursor batch (500) of every list, yet under GraphQL's 1 MiB. */
const ROWS = 800;
const EXPORT_PATH = '/api/user/data-export';
const EXPORTED_AT = /"exportedAt":"[^"]+"/;
const sameTime = (json: string) => json.replace(EXPORTED_AT, '"exportedAt":"(now)"');

/** Equal texts, or where they part (a whole export in a failure message helps no one). */
function expectSameText(actual: string, expected: string) {
  if (actual === expected) return;
  let at = 0;
  while (actual[at] === expected[at]) at++;
  expect({ at, length: actual.length, actual: actual.slice(at - 150, at + 150) }).toEqual({
    at,
    length: expected.length,
    actual: expected.slice(at - 150, at + 150),
  });
}

let server: TestServer;
const lines: string[] = [];
beforeAll(async () => {
  // A database of its own: its users' queued mail and 300 000 events stay out of other files'.
  server = await startTestServer(
    { LOG_LEVEL: 'info', DATABASE_URL: await createScratchDatabase() },
    { logLines: lines },
  );
});
afterAll(async () => {
  await server.close();
});

function download(token: string) {
  return fetch(`${server.url}${EXPORT_PATH}`, { headers: { authorization: `Bearer ${token}` } });
}

/** A user with some of everything, text that JSON must escape, and ROWS of each list. */
async function richUser(): Promise<SignedUp> {
  const user = await signUp(server, { name: 'Zoë "Q" O’Brien \\ 🧪' });
  await server.graphql(
    'mutation($bio: String) { updateProfile(input: {bio: $bio, avatarUrl: "https://example.com/a.png"}) { id } }',
    { bio: 'Line\u2028sep\u2029 <script>"x"</script> \t tab \u0001 ctl é' },
    user.token,
  );
  await server.graphql(
    'mutation { updateTimezone(timezone: "Asia/Calcutta") { id } }',
    {},
    user.token,
  );
  await server.graphql(
    `mutation { completeOnboarding(input: {fullName: "Zoë", jobTitle: "PM \\"lead\\"", company: "Acme",
       useCase: "Specs", teamSize: "medium", prdStyle: "comprehensive", interests: ["exports", "é"],
       createOrg: true, inviteEmails: ["first-invitee@example.com"]}) { onboarding { completed } } }`,
    {},
    user.token,
  );
  await server.graphql(
    'mutation { addApiKey(input: {provider: openai, key: "sk-proj-STREAMCANARY0123456789abc123", name: "Mine"}) { id } }',
    {},
    user.token,
  );
  // An email change waiting for its confirmation, and the mail it queued.
  const change = await server.graphql(
    'mutation($input: RequestEmailChangeInput!) { requestEmailChange(input: $input) }',
    { input: { currentPassword: user.password, newEmail: `new-${user.email}` } },
    user.token,
  );
  expect(change.errors).toBeUndefined();
  const other = await signUp(server);
  const otherOrg = await createOrganization(server, other.token, 'Other "Org"');
  await addMember(server, otherOrg, user.id, 'member', new Date(Date.now() - 3_600_000));
  const [own] = await server.sql<{ id: string }>(
    `select organization_id as id from memberships where user_id = ? and role = 'owner'`,
    [user.id],
  );
  // Distinct times (the old export ordered some lists by time alone), with microseconds.
  const at = (n: string) => `now() - interval '2 hours' - ${n} * interval '1.234567 second'`;
  await server.sql(
    `insert into access_tokens (id, user_id, name, token_hash, created_at, updated_at, last_used_at, revoked_at)
     select 'tok_bulk_' || g, ?, case when g % 3 = 0 then 'Plain' else 'Token "' || g || '"' end,
            md5(? || g), ${at('g')}, ${at('g')},
            case when g % 2 = 0 then ${at('g')} end, case when g % 5 = 0 then now() end
       from generate_series(1, ${ROWS}) g`,
    [user.id, user.id],
  );
  await server.sql(
    `insert into organizations (id, name, created_by_id, created_at, updated_at)
     select 'org_bulk_' || ? || g, 'Bulk ' || g || ' ✓', null, ${at('g')}, ${at('g')}
       from generate_series(1, ${ROWS}) g`,
    [user.id],
  );
  await server.sql(
    `insert into memberships (id, organization_id, user_id, role, created_at, updated_at)
     select 'mem_bulk_' || ? || g, 'org_bulk_' || ? || g, ?,
            (array['owner', 'admin', 'member'])[g % 3 + 1], ${at('g')}, ${at('g')}
       from generate_series(1, ${ROWS}) g`,
    [user.id, user.id, user.id],
  );
  await server.sql(
    `insert into invitations (id, organization_id, invited_by_id, email, role, status, expires_at, created_at, updated_at)
     select 'inv_sent_' || ? || g, ?, ?, 'bulk' || g || '@example.com', 'member',
            (array['pending', 'accepted', 'revoked'])[g % 3 + 1],
            case when g % 2 = 0 then now() - interval '1 day' else now() + interval '7 days' end,
            ${at('g')}, ${at('g')}
       from generate_series(1, ${ROWS}) g`,
    [user.id, own!.id, user.id],
  );
  await server.sql(
    `insert into invitations (id, organization_id, invited_by_id, email, role, status, expires_at, created_at, updated_at)
     select 'inv_recv_' || ? || g, 'org_bulk_' || ? || g, null, ?, 'admin', 'pending',
            case when g % 2 = 0 then now() - interval '1 day' else now() + interval '7 days' end,
            ${at('g')}, ${at('g')}
       from generate_series(1, ${ROWS}) g`,
    [user.id, user.id, user.email],
  );
  await server.sql(
    `insert into activity_events (id, user_id, recorded_at)
     select 'act_bulk_' || ? || g, ?, ${at('g')} from generate_series(1, ${ROWS}) g`,
    [user.id, user.id],
  );
  return user;
}

describe('the streamed export', () => {
  it('is, byte for byte, the document the entity-based export built, on both faces', async () => {
    const user = await richUser();
    // The token's use is written in the background: let it land before comparing.
    for (let tries = 0; ; tries++) {
      const [token] = await server.sql<{ used: unknown }>(
        'select last_used_at as used from access_tokens where id = ?',
        [user.tokenId],
      );
      if (token?.used != null) break;
      if (tries > 400) throw new Error('the token use was never written');
      await new Promise((wake) => setTimeout(wake, 50));
    }
    const { deps, logger } = server.app;
    // What the entity-based code reads now (each export first logs itself, so
    // the reference is read after the export it is compared with).
    const reference = async () =>
      JSON.stringify(await referenceExport(server.em(), deps.keyRing, logger, user.id));

    const response = await download(user.token);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="account-export-${user.id}-${new Date().toISOString().slice(0, 10)}.json"`,
    );
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    const text = await response.text();
    const expected = await reference();
    expectSameText(sameTime(text), sameTime(expected));

    // Sanity: every list is there in full, and past the cursor's batches.
    const parsed = JSON.parse(expected) as Record<string, unknown[]> & {
      invitations: Record<string, unknown[]>;
      activity: { events: unknown[] };
      email: { pendingChange: unknown };
    };
    expect(parsed['accessTokens']).toHaveLength(ROWS + 1);
    expect(parsed['memberships']).toHaveLength(ROWS + 2);
    expect(parsed.invitations['sent']).toHaveLength(ROWS + 1);
    expect(parsed.invitations['received']).toHaveLength(ROWS);
    expect(parsed.activity.events).toHaveLength(ROWS);
    expect(parsed.email.pendingChange).not.toBeNull();
    expect(parsed['messages']!.length).toBeGreaterThanOrEqual(2);
    expect(parsed['securityEvents']).toContainEqual(
      expect.objectContaining({ type: 'DATA_EXPORTED' }),
    );

    const graphql = await server.graphql<{ exportData: Record<string, unknown> }>(
      'mutation { exportData }',
      {},
      user.token,
    );
    expect(graphql.errors).toBeUndefined();
    expectSameText(sameTime(JSON.stringify(graphql.data!.exportData)), sameTime(await reference()));
  });

  describe('a user with more than GraphQL returns (300 000 activity events)', () => {
    let big: SignedUp;
    beforeAll(async () => {
      big = await signUp(server);
      // In slices: one statement must stay within the role's 10 s statement timeout.
      for (let from = 1; from <= 300_000; from += 50_000) {
        await server.sql(
          `insert into activity_events (id, user_id, recorded_at)
           select 'act_big_' || ? || g, ?, now() - g * interval '1 second'
             from generate_series(?::int, ?::int) g`,
          [big.id, big.id, from, from + 49_999],
        );
      }
    });

    it('GraphQL refuses it, naming the download that streams it', async () => {
      const result = await server.graphql('mutation { exportData }', {}, big.token);
      expect(result.data).toBeNull();
      expect(result.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN' });
      expect(result.errors?.[0]?.message).toContain('GET /api/user/data-export');
      expect(result.errors?.[0]?.message).toContain(`${GRAPHQL_EXPORT_MAX_BYTES / 1024} KiB`);
    });

    it('the download streams it whole', async () => {
      const response = await download(big.token);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { activity: { events: string[] } };
      expect(body.activity.events).toHaveLength(300_000);
    }, 60_000);

    it('a failure after the first byte aborts the response: never a complete-looking 200', async () => {
      lines.length = 0;
      const outcome = await new Promise<{
        status: number | undefined;
        complete: boolean;
        error: string | undefined;
        text: string;
      }>((resolve, reject) => {
        const request = http.get(
          `${server.url}${EXPORT_PATH}`,
          { headers: { authorization: `Bearer ${big.token}` } },
          (res) => {
            // Read nothing: the export stalls on back-pressure, its snapshot and
            // cursor open (its only long list: the events).
            res.pause();
            const chunks: Buffer[] = [];
            let error: string | undefined;
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('error', (e) => (error = e.message));
            res.on('close', () =>
              resolve({
                status: res.statusCode,
                complete: res.complete,
                error,
                text: Buffer.concat(chunks).toString(),
              }),
            );
            // The database fails midway: the export's session is ended under it.
            void (async () => {
              const deadline = Date.now() + 60_000;
              let pid: number | undefined;
              while (pid === undefined) {
                if (Date.now() > deadline) throw new Error('the export never stalled');
                await new Promise((wake) => setTimeout(wake, 50));
                [{ pid } = { pid: undefined }] = await server.sql<{ pid: number }>(
                  `select pid from pg_stat_activity
                    where pid <> pg_backend_pid() and state = 'idle in transaction'
                      and query like 'fetch forward %'`,
                );
              }
              await server.sql('select pg_terminate_backend(?)', [pid]);
              res.resume();
            })().catch(reject);
          },
        );
        request.on('error', () => undefined);
      });
      expect(outcome.status).toBe(200);
      expect(outcome.complete).toBe(false);
      expect(outcome.error).toBeDefined();
      expect(outcome.text.startsWith('{"formatVersion":1,')).toBe(true);
      expect(() => JSON.parse(outcome.text) as unknown).toThrow();

      const logged = lines.filter((line) => line.includes('download failed while streaming'));
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatch(/"level":50/);
      for (const secret of [big.email, big.id, 'act_big_', 'select', 'activity_events'])
        expect(logged[0]).not.toContain(secret);

      // The service goes on: the next export is whole.
      const after = await download(big.token);
      expect(after.status).toBe(200);
      expect(((await after.json()) as { profile: { id: string } }).profile.id).toBe(big.id);
    }, 120_000);
  });
});
