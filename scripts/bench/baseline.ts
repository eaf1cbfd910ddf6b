/**
 * The ceilings the service is measured against: node:http and node-postgres
 * with named prepared statements, doing the same work as a path of the
 * service and nothing else (no framework, no checks, no limits).
 *
 * - `GET /profile`, the ceiling of the profile paths (and of the whole
 *   viewer, whose goal is set against it): SHA-256 of the Bearer token,
 *   joined to its user, answered with the 7 profile fields of
 *   `GET /api/users/profile`.
 * - `GET /members`, the ceiling of the members' first page: the same token
 *   lookup and, in the same statement, the first 20 members of each of the
 *   user's organizations read on the (organization, created_at, id) index,
 *   each edge with a signed cursor (HMAC-SHA256, as the service's contract
 *   requires), answered in the shape of the GraphQL answer.
 * - `GET /export`, the ceiling of `GET /api/user/data-export`: the token
 *   lookup, then in one repeatable-read transaction the rows the growth
 *   study counts (the user, its access tokens within their retention, its
 *   memberships, the invitations it sent, its activity events within theirs),
 *   written list by list as JSON. Less than the service's export reads and
 *   writes (no API keys, onboarding, security events, messages), so its
 *   ratios are, if anything, harsh on the service.
 *
 *   DATABASE_URL=… PORT=… node dist/scripts/bench/baseline.js
 */
import { createHash, createHmac, createSecretKey, randomBytes } from 'node:crypto';
import http from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env['DATABASE_URL'], max: 10 });
const PROFILE = {
  name: 'baseline_profile',
  text: `select u.id, u.email, u.name, u.avatar_url, u.email_verified, u.plan, u.created_at
         from access_tokens t join users u on u.id = t.user_id
         where t.token_hash = $1 and t.revoked_at is null`,
};
const PAGE_SIZE = 20;
const MEMBERS = {
  name: 'baseline_members',
  text: `select vm.organization_id as org, p.id, p.role, p.created_at, p.user_id, p.name, p.email, p.avatar_url
           from access_tokens t
           left join memberships vm on vm.user_id = t.user_id
           left join lateral (
             select m.id, m.role, m.created_at, u.id as user_id, u.name, u.email, u.avatar_url
               from memberships m join users u on u.id = m.user_id
              where m.organization_id = vm.organization_id
              order by m.created_at, m.id
              limit ${PAGE_SIZE + 1}) p on true
          where t.token_hash = $1 and t.revoked_at is null
          order by vm.created_at, vm.id, p.created_at, p.id`,
};
const TOKEN_USER = {
  name: 'baseline_token_user',
  text: `select t.user_id from access_tokens t where t.token_hash = $1 and t.revoked_at is null`,
};
/** The export's lists, in the order written; `$1` is the user's id. */
const EXPORT_LISTS: { key: string; name: string; text: string }[] = [
  {
    key: 'profile',
    name: 'baseline_export_user',
    text: `select id, email, name, job_title, bio, avatar_url, email_verified, plan, created_at,
                  updated_at, preferred_style, timezone, last_active_at
             from users where id = $1`,
  },
  {
    key: 'accessTokens',
    name: 'baseline_export_tokens',
    text: `select id, name, created_at, last_used_at, last_used_ip, last_used_user_agent,
                  expires_at, scopes, revoked_at
             from access_tokens where user_id = $1
              and (revoked_at is null or revoked_at >= now() - interval '90 days')
              and (expires_at is null or expires_at >= now() - interval '90 days')
            order by created_at, id`,
  },
  {
    key: 'organizations',
    name: 'baseline_export_memberships',
    text: `select m.id, m.role, m.created_at, o.id as organization_id, o.name as organization_name,
                  o.created_at as organization_created_at
             from memberships m join organizations o on o.id = m.organization_id
            where m.user_id = $1 order by m.created_at, m.id`,
  },
  {
    key: 'invitationsSent',
    name: 'baseline_export_sent',
    text: `select id, email, role, status, created_at, expires_at, organization_id
             from invitations where invited_by_id = $1 order by created_at, id`,
  },
  {
    key: 'activity',
    name: 'baseline_export_events',
    text: `select recorded_at from activity_events
            where user_id = $1 and recorded_at >= now() - interval '13 months'
            order by recorded_at, id`,
  },
];

const cursorKey = createSecretKey(randomBytes(32));
function cursor(scope: string, createdAt: Date, id: string): string {
  const payload = Buffer.from(JSON.stringify(['members', scope, createdAt.getTime(), id]));
  const tag = createHmac('sha256', cursorKey).update(payload).digest().subarray(0, 16);
  return `${payload.toString('base64url')}.${tag.toString('base64url')}`;
}

const iso = (date: Date | null) => date && date.toISOString().replace(/\.\d{3}Z$/, 'Z');
/** Rows as JSON objects, their timestamps (Dates, so ISO text here) to the second as the service writes them. */
const json = (rows: Record<string, unknown>[]) =>
  JSON.stringify(rows, (_key, value: unknown) =>
    typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value)
      ? value.replace(/\.\d{3}Z$/, 'Z')
      : value,
  );

interface ProfileRow {
  id: string;
  email: string;
  name: string;
  avatar_url: string | null;
  email_verified: boolean;
  plan: string;
  created_at: Date;
}

interface MemberRow {
  org: string | null;
  id: string | null;
  role: string;
  created_at: Date;
  user_id: string;
  name: string;
  email: string;
  avatar_url: string | null;
}

function profile(hash: string, response: http.ServerResponse): Promise<void> {
  return pool.query<ProfileRow>({ ...PROFILE, values: [hash] }).then(({ rows: [user] }) => {
    if (!user) {
      response.writeHead(401).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        id: user.id,
        email: user.email,
        full_name: user.name,
        avatar_url: user.avatar_url,
        email_verified: user.email_verified,
        plan_id: user.plan,
        created_at: iso(user.created_at),
      }),
    );
  });
}

function members(hash: string, response: http.ServerResponse): Promise<void> {
  return pool.query<MemberRow>({ ...MEMBERS, values: [hash] }).then(({ rows }) => {
    if (rows.length === 0) {
      response.writeHead(401).end();
      return;
    }
    const pages = new Map<string, MemberRow[]>();
    for (const row of rows) {
      if (row.org === null) continue;
      const page = pages.get(row.org) ?? [];
      if (row.id !== null) page.push(row);
      pages.set(row.org, page);
    }
    const organizations = [...pages].map(([org, page]) => {
      const edges = page.slice(0, PAGE_SIZE).map((row) => ({
        cursor: cursor(org, row.created_at, row.id as string),
        node: {
          id: row.id,
          role: row.role,
          joinedAt: iso(row.created_at),
          user: { id: row.user_id, name: row.name, email: row.email, avatarUrl: row.avatar_url },
        },
      }));
      return {
        organization: {
          id: org,
          members: {
            edges,
            pageInfo: {
              endCursor: edges[edges.length - 1]?.cursor ?? null,
              hasNextPage: page.length > PAGE_SIZE,
            },
          },
        },
      };
    });
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ data: { viewer: { organizations } } }));
  });
}

async function exportData(hash: string, response: http.ServerResponse): Promise<void> {
  const client = await pool.connect();
  try {
    const {
      rows: [token],
    } = await client.query<{ user_id: string }>({ ...TOKEN_USER, values: [hash] });
    if (!token) {
      response.writeHead(401).end();
      return;
    }
    await client.query('begin isolation level repeatable read read only');
    response.writeHead(200, { 'content-type': 'application/json' });
    let separator = '{';
    for (const list of EXPORT_LISTS) {
      const { rows } = await client.query<Record<string, unknown>>({
        name: list.name,
        text: list.text,
        values: [token.user_id],
      });
      const value = list.key === 'profile' ? json(rows).slice(1, -1) || 'null' : json(rows);
      response.write(`${separator}${JSON.stringify(list.key)}:${value}`);
      separator = ',';
    }
    await client.query('commit');
    response.end('}');
  } finally {
    client.release();
  }
}

const ROUTES: Record<string, (hash: string, response: http.ServerResponse) => Promise<void>> = {
  '/profile': profile,
  '/members': members,
  '/export': exportData,
};

const server = http.createServer((request, response) => {
  const route = ROUTES[request.url ?? ''];
  const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (!route || !token) {
    response.writeHead(route ? 401 : 404).end();
    return;
  }
  const hash = createHash('sha256').update(token).digest('hex');
  route(hash, response).catch(() => {
    if (response.headersSent) response.destroy();
    else response.writeHead(503).end();
  });
});

server.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => {
  process.stdout.write('baseline ready\n');
});
process.on('SIGTERM', () => {
  server.close();
  void pool.end();
});
