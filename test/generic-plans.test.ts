import pg from 'pg';
import { Authenticator } from '../src/auth/authenticator';
import { TokenUsage } from '../src/auth/token-usage';
import type { Log } from '../src/infra/logger';
import { ActivityService } from '../src/modules/activity/activity.service';
import { InvitationPages } from '../src/modules/organizations/invitation-pages';
import { MemberPages } from '../src/modules/organizations/member-pages';
import { VisibleUsers } from '../src/modules/users/visible-users';
import { ViewerReads } from '../src/modules/viewer/viewer-reads';
import { createScratchDatabase, startTestServer, type TestServer } from './helpers/app';
import { signUp, type SignedUp } from './helpers/factories';
import { recordingStatements, type StatementCall } from './helpers/statements';

/**
 * Every hot statement keeps its index under the plan it really runs: a named
 * prepared statement switches to a generic plan after a few executions, and
 * a generic plan knows nothing of the values. Over skewed data (a few users
 * own most invitations, tokens and memberships) a generic estimate used to
 * prefer a sequential scan of `invitations` for the viewer's "has invited
 * anyone" (issue 19): one user's cost then depended on other users' data.
 *
 * Each statement is captured as the adapter prepares it (same text, same
 * parameters), prepared again on a session with `plan_cache_mode =
 * force_generic_plan`, and EXPLAINed; a Seq Scan of any table that grows with
 * other users' data fails the test.
 */

/** Tables whose size is everyone's business, not the viewer's. */
const GROWING = [
  'users',
  'access_tokens',
  'api_keys',
  'onboardings',
  'memberships',
  'organizations',
  'invitations',
  'activity_events',
];

const SEED = [
  `insert into users (id, email, name, password_hash, created_at, updated_at)
     select 'usr_seed_' || g, 'seed' || g || '@example.com', 'Seed ' || g, 'x', now(), now()
       from generate_series(1, 20000) g`,
  `insert into organizations (id, name, created_by_id, created_at, updated_at)
     select 'org_seed_' || g, 'Org ' || g, 'usr_seed_' || g, now(), now()
       from generate_series(1, 5000) g`,
  // One organization holds half of all memberships (joined at the same
  // millisecond, as the service writes times: the pages break the tie by id).
  `insert into memberships (id, organization_id, user_id, role, created_at, updated_at)
     select 'mem_seed_' || g,
            case when g <= 10000 then 'org_seed_1' else 'org_seed_' || (g % 4999 + 2) end,
            'usr_seed_' || g, 'member', date_trunc('milliseconds', now()), now()
       from generate_series(1, 20000) g`,
  `insert into api_keys (id, user_id, provider, key_version, iv, ciphertext, auth_tag,
                         created_at, updated_at)
     select 'key_seed_' || g, 'usr_seed_' || g, 'openai', 'v1',
            decode(repeat('00', 12), 'hex'), decode('00', 'hex'), decode(repeat('00', 16), 'hex'),
            now(), now()
       from generate_series(1, 10000) g`,
  `insert into onboardings (user_id, company, use_case, team_size, prd_style, interests,
                            completed_at, created_at, updated_at)
     select 'usr_seed_' || g, 'Acme', 'docs', '1-10', 'lean', '{}', now(), now(), now()
       from generate_series(1, 10000) g`,
  // Three users sent 30 000 invitations; some inviters were deleted since (null).
  `insert into invitations (id, organization_id, invited_by_id, email, role, status, expires_at,
                            created_at, updated_at)
     select 'inv_seed_' || g, 'org_seed_' || (g % 3 + 1),
            case when g % 10 = 0 then null else 'usr_seed_' || (g % 3 + 1) end,
            'invitee' || g || '@example.com', 'member',
            case when g % 2 = 0 then 'pending' else 'expired' end,
            now() + interval '7 days', date_trunc('milliseconds', now()), now()
       from generate_series(1, 30000) g`,
  // One user holds 20 000 tokens (half revoked), everyone else two.
  `insert into access_tokens (id, user_id, name, token_hash, created_at, updated_at, revoked_at)
     select 'tok_seed_' || g,
            'usr_seed_' || case when g <= 20000 then 1 else g % 20000 + 1 end,
            'seeded', md5('seed' || g), now(), now(), case when g % 2 = 0 then now() end
       from generate_series(1, 26000) g`,
  `insert into activity_events (id, user_id, recorded_at)
     select 'act_seed_' || g, 'usr_seed_' || (g % 5 + 1), now() - make_interval(mins => g)
       from generate_series(1, 20000) g`,
  'analyze',
];

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

function nodesOf(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodesOf)];
}

let databaseUrl: string;
let server: TestServer;
let viewer: SignedUp;
let session: pg.Client;

beforeAll(async () => {
  // Its own database: the skewed rows and their statistics stay out of other tests.
  databaseUrl = await createScratchDatabase();
  server = await startTestServer({ DATABASE_URL: databaseUrl });
  viewer = await signUp(server);
  for (const statement of SEED) await server.sql(statement);
  session = new pg.Client({ connectionString: databaseUrl });
  await session.connect();
  await session.query('set plan_cache_mode = force_generic_plan');
}, 120_000);

afterAll(async () => {
  await session.end();
  await server.close();
});

let prepared = 0;

/**
 * The generic plan of a statement as the adapter sent it: prepared and run
 * under its own kind of name with its own parameters (as the adapter does),
 * then EXPLAINed from that prepared statement. Under `force_generic_plan` the
 * plan is the generic one whatever the arguments, so EXPLAIN EXECUTE passes
 * nulls (EXECUTE's arguments cannot be bind parameters).
 */
async function genericPlan(call: StatementCall): Promise<PlanNode[]> {
  const name = `hot_${++prepared}`;
  try {
    await session.query({ name, text: call.text, values: call.values });
    const nulls = call.values.map(() => 'null').join(', ');
    const result = await session.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
      `explain (format json) execute ${name}(${nulls})`,
    );
    return nodesOf(result.rows[0]!['QUERY PLAN'][0].Plan);
  } finally {
    await session.query(`deallocate ${name}`);
  }
}

/**
 * Sorts inside a page's LIMIT: a page must come off the index in order (one
 * descent, `limit` rows), never from a sort of everything its scope holds.
 * The sort of the batch's few rows above the pages is not one of these.
 */
function sortsUnderLimits(nodes: PlanNode[]): string[] {
  const limits = nodes.filter((node) => node['Node Type'] === 'Limit');
  expect(limits.length).toBeGreaterThan(0);
  return limits
    .flatMap((limit) => nodesOf(limit).slice(1))
    .filter((node) => node['Node Type'] === 'Sort')
    .map((node) => node['Node Type']);
}

/** What the plans scan sequentially, of the growing tables. */
async function seqScansOf(calls: StatementCall[]): Promise<string[]> {
  expect(calls.length).toBeGreaterThan(0);
  const found: string[] = [];
  for (const call of calls) {
    for (const node of await genericPlan(call)) {
      if (node['Node Type'] === 'Seq Scan' && GROWING.includes(node['Relation Name'] ?? '')) {
        found.push(`${call.name}: ${node['Relation Name']}`);
      }
    }
  }
  return found;
}

const silent = { warn: () => undefined } as unknown as Log;

describe('hot statements under their generic plans, over skewed data', () => {
  it('the viewer batch reads by index, for a user who never invited anyone', async () => {
    const { statements, calls } = recordingStatements(server);
    const reads = new ViewerReads(statements);
    const [owned, inviter] = await Promise.all([reads.read(viewer.id), reads.read('usr_seed_1')]);
    expect(owned.hasInvited).toBe(false);
    expect(inviter.hasInvited).toBe(true);
    expect(calls.map((call) => call.name)).toEqual(['viewer_owned_v3']);
    expect(await seqScansOf(calls)).toEqual([]);
  });

  it('authentication and the token-use write read by index', async () => {
    const { statements, calls } = recordingStatements(server);
    const usage = new TokenUsage(statements, silent, 60_000);
    const authenticator = new Authenticator(statements, usage);
    const session = await authenticator.authenticate(
      viewer.token,
      () => {
        throw new Error('not needed');
      },
      { ip: '203.0.113.0/24', userAgent: 'generic-plans test' },
    );
    expect(session?.userId).toBe(viewer.id);
    await usage.close();
    expect(calls.map((call) => call.name)).toEqual([
      'account_authenticate_v5',
      'account_touch_tokens_v2',
    ]);
    expect(await seqScansOf(calls)).toEqual([]);
  });

  it('the activity ping (both statements) reads by index', async () => {
    const { statements, calls } = recordingStatements(server);
    const activity = new ActivityService(statements);
    const readAt = { latestNow: () => 0 } as never;
    const first = await activity.record({ userId: viewer.id, lastActiveAt: null, readAt });
    const second = await activity.record({ userId: viewer.id, lastActiveAt: null, readAt });
    expect([first.recorded, second.recorded]).toEqual([true, false]);
    expect(calls.map((call) => call.name)).toEqual([
      'account_record_activity_v1',
      'account_record_activity_v1',
      'account_last_active_v1',
    ]);
    expect(await seqScansOf(calls)).toEqual([]);
  });

  it("organizations' members, first pages and after a cursor, batched, read in index order without sorting an organization", async () => {
    const { statements, calls } = recordingStatements(server);
    const pages = new MemberPages(statements);
    // org_seed_1 holds half of all memberships: a sort would read all 10 000.
    // Three pages asked for in one turn share one statement (org_seed_2 has two members).
    const [first, small, none] = await Promise.all([
      pages.read('org_seed_1', 21),
      pages.read('org_seed_2', 1),
      pages.read('org_nobody', 21),
    ]);
    expect(first).toHaveLength(21);
    expect(small).toHaveLength(1);
    expect(none).toEqual([]);
    expect(first.every((member) => member.user.id.startsWith('usr_seed_'))).toBe(true);
    const [next, again] = await Promise.all([
      pages.read('org_seed_1', 21, first[20]),
      pages.read('org_seed_2', 1, small[0]),
    ]);
    expect(next).toHaveLength(21);
    // Oldest first, ties on the millisecond broken by id: the page continues after the cursor.
    expect(next[0]!.id > first[20]!.id || next[0]!.createdAt > first[20]!.createdAt).toBe(true);
    expect(next.map((m) => m.id)).not.toContain(first[20]!.id);
    // org_seed_2 has two members: the second page is the other one.
    expect(again).toHaveLength(1);
    expect(again[0]!.id).not.toBe(small[0]!.id);
    for (const page of [first, next, small]) {
      const keys = page.map((m) => [m.createdAt.getTime(), m.id] as const);
      expect(keys).toEqual([...keys].sort(([a, x], [b, y]) => a - b || (x < y ? -1 : 1)));
    }
    expect(calls.map((call) => call.name)).toEqual([
      'organization_members_first_v2',
      'organization_members_after_v2',
    ]);
    expect(await seqScansOf(calls)).toEqual([]);
    for (const call of calls) {
      const nodes = await genericPlan(call);
      expect(sortsUnderLimits(nodes)).toEqual([]);
      expect(JSON.stringify(nodes)).toContain('memberships_organization_created_idx');
    }
  });

  it("organizations' invitations, first pages and after a cursor, batched, read in index order without sorting an organization", async () => {
    const { statements, calls } = recordingStatements(server);
    const pages = new InvitationPages(statements);
    // org_seed_1 holds a third of 30 000 invitations; a tenth of them have no inviter any more.
    const [first, other] = await Promise.all([
      pages.read('org_seed_1', 21),
      pages.read('org_seed_2', 21),
    ]);
    expect(first).toHaveLength(21);
    expect(first.every((invitation) => invitation.organization.id === 'org_seed_1')).toBe(true);
    expect(first[0]!.organization).toEqual({ id: 'org_seed_1', name: 'Org 1' });
    expect(other).toHaveLength(21);
    expect(other.every((invitation) => invitation.organization.id === 'org_seed_2')).toBe(true);
    const next = await pages.read('org_seed_1', 21, first[20]);
    expect(next).toHaveLength(21);
    expect(next[0]!.id > first[20]!.id).toBe(true);
    const inviters = [...first, ...next].map((invitation) => invitation.invitedBy?.name ?? null);
    expect(inviters).toContain('Seed 1');
    expect(inviters).toContain(null);
    expect(calls.map((call) => call.name)).toEqual([
      'organization_invitations_first_v2',
      'organization_invitations_after_v2',
    ]);
    expect(await seqScansOf(calls)).toEqual([]);
    for (const call of calls) {
      const nodes = await genericPlan(call);
      expect(sortsUnderLimits(nodes)).toEqual([]);
      expect(JSON.stringify(nodes)).toContain('invitations_organization_created_idx');
    }
  });

  it('the visible-users check (federation) reads by index', async () => {
    const { statements, calls } = recordingStatements(server);
    const visible = new VisibleUsers(statements);
    const [self, stranger] = await Promise.all([
      visible.read(viewer.id, viewer.id),
      visible.read(viewer.id, 'usr_seed_2'),
    ]);
    expect(self?.id).toBe(viewer.id);
    expect(stranger).toBeNull();
    expect(await seqScansOf(calls)).toEqual([]);
  });
});
