import { createHash } from 'node:crypto';
import pg from 'pg';
import scrypt from 'scrypt-kdf';
import { newId } from '../../src/common/ids';
import { generateToken } from '../../src/auth/token';

export const BENCH_PASSWORD = 'Bench-Passw0rd-1';

export interface SeededUser {
  email: string;
  token: string;
}

/**
 * N users, each with one active access token, inserted in batches. All share
 * one password hash (made once, at the cost given) so seeding stays fast.
 */
export async function seedUsers(url: string, count: number, logN: number): Promise<SeededUser[]> {
  const passwordHash = Buffer.from(await scrypt.kdf(BENCH_PASSWORD, { logN, r: 8, p: 1 })).toString(
    'base64',
  );
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const users: SeededUser[] = [];
  try {
    for (let start = 0; start < count; start += 1000) {
      const batch = Math.min(1000, count - start);
      const rows = Array.from({ length: batch }, (_, i) => ({
        id: newId('user'),
        tokenId: newId('tok'),
        email: `bench-${start + i}@example.com`,
        token: generateToken(),
      }));
      await client.query(
        `insert into users (id, email, password_hash, name, job_title, bio, avatar_url, created_at, updated_at)
         select id, email, $3, 'Bench User', 'Engineer', 'Measures things.', 'https://example.com/a.png', now(), now()
         from unnest($1::text[], $2::text[]) as t(id, email)`,
        [rows.map((r) => r.id), rows.map((r) => r.email), passwordHash],
      );
      await client.query(
        `insert into access_tokens (id, user_id, name, token_hash, created_at, updated_at)
         select id, user_id, 'bench', token_hash, now(), now()
         from unnest($1::text[], $2::text[], $3::text[]) as t(id, user_id, token_hash)`,
        [
          rows.map((r) => r.tokenId),
          rows.map((r) => r.id),
          rows.map((r) => createHash('sha256').update(r.token).digest('hex')),
        ],
      );
      users.push(...rows.map(({ email, token }) => ({ email, token })));
    }
    await client.query('analyze');
  } finally {
    await client.end();
  }
  return users;
}

/** One user holding `rows` rows of each kind that grows with use. */
export interface HeavyUser {
  rows: number;
  email: string;
  /** Its one active access token. */
  token: string;
}

/**
 * For each size N, one user holding N rows of each kind the growth study
 * counted: N access tokens (one active, the others revoked, as the plan's
 * token limit leaves them), N activity events, an organization it owns with N
 * members (itself and N - 1 other accounts), and N pending invitations it
 * sent in that organization. Rows are made by PostgreSQL (generate_series),
 * with creation times spread over the past so that every order is a real one.
 */
export async function seedHeavyUsers(url: string, sizes: number[]): Promise<HeavyUser[]> {
  const passwordHash = Buffer.from(
    await scrypt.kdf(BENCH_PASSWORD, { logN: 14, r: 8, p: 1 }),
  ).toString('base64');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const heavy: HeavyUser[] = [];
  // An id of the service's shape (prefix, 22 characters of [0-9a-f] ⊂ base62), made in SQL.
  const id = (prefix: string) =>
    `'${prefix}_' || left(md5(random()::text || clock_timestamp()::text), 22)`;
  try {
    for (const rows of sizes) {
      const userId = newId('user');
      const orgId = newId('org');
      const email = `heavy-${rows}@example.com`;
      const token = generateToken();
      await client.query('begin');
      await client.query(
        `insert into users (id, email, password_hash, name, job_title, bio, avatar_url, created_at, updated_at)
         values ($1, $2, $3, 'Heavy User', 'Engineer', 'Holds many rows.', 'https://example.com/a.png', now() - interval '400 days', now())`,
        [userId, email, passwordHash],
      );
      // The active token, then N - 1 revoked ones, older.
      await client.query(
        `insert into access_tokens (id, user_id, name, token_hash, created_at, updated_at)
         values ($1, $2, 'bench', $3, now(), now())`,
        [newId('tok'), userId, createHash('sha256').update(token).digest('hex')],
      );
      await client.query(
        `insert into access_tokens (id, user_id, name, token_hash, created_at, updated_at, last_used_at, revoked_at)
         select ${id('tok')}, $1, 'old token ' || g, md5(g::text || $1),
                now() - g * interval '10 minutes', now() - g * interval '5 minutes',
                now() - g * interval '6 minutes', now() - g * interval '5 minutes'
         from generate_series(1, $2::int - 1) g`,
        [userId, rows],
      );
      await client.query(
        `insert into activity_events (id, user_id, recorded_at)
         select ${id('act')}, $1, now() - g * interval '5 minutes' from generate_series(1, $2::int) g`,
        [userId, rows],
      );
      await client.query(
        `insert into organizations (id, name, created_by_id, created_at, updated_at)
         values ($1, $2, $3, now() - interval '400 days', now())`,
        [orgId, `Heavy ${rows}`, userId],
      );
      await client.query(
        `insert into memberships (id, organization_id, user_id, role, created_at, updated_at)
         values ($1, $2, $3, 'owner', date_trunc('milliseconds', now() - interval '400 days'), now())`,
        [newId('mem'), orgId, userId],
      );
      await client.query(
        `with members as (
           insert into users (id, email, password_hash, name, created_at, updated_at)
           select ${id('user')}, 'heavy-' || $2::int || '-member-' || g || '@example.com', $3,
                  'Member ' || g, now() - interval '300 days', now()
           from generate_series(1, $2::int - 1) g
           returning id)
         insert into memberships (id, organization_id, user_id, role, created_at, updated_at)
         select ${id('mem')}, $1, id, 'member',
                date_trunc('milliseconds', now() - interval '300 days' + row_number() over () * interval '1 second'), now()
         from members`,
        [orgId, rows, passwordHash],
      );
      await client.query(
        `insert into invitations (id, organization_id, email, invited_by_id, status, role, created_at, updated_at, expires_at)
         select ${id('inv')}, $1, 'invitee-' || $3::int || '-' || g || '@example.com', $2, 'pending', 'member',
                date_trunc('milliseconds', now() - g * interval '1 minute'), now(), now() + interval '13 days'
         from generate_series(1, $3::int) g`,
        [orgId, userId, rows],
      );
      await client.query('commit');
      heavy.push({ rows, email, token });
    }
    await client.query('analyze');
  } finally {
    await client.end();
  }
  return heavy;
}
