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
