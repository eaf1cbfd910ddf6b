/**
 * The ceiling the service is measured against: node:http and node-postgres
 * with a named prepared statement, doing the same work as
 * `GET /api/users/profile` — SHA-256 of the Bearer token, joined to its user,
 * answered with the 7 profile fields. Nothing else: no framework, no checks.
 *
 *   DATABASE_URL=… PORT=… node dist/scripts/bench/baseline.js
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env['DATABASE_URL'], max: 10 });
const PROFILE = {
  name: 'baseline_profile',
  text: `select u.id, u.email, u.name, u.avatar_url, u.email_verified, u.plan, u.created_at
         from access_tokens t join users u on u.id = t.user_id
         where t.token_hash = $1 and t.revoked_at is null`,
};

interface Row {
  id: string;
  email: string;
  name: string;
  avatar_url: string | null;
  email_verified: boolean;
  plan: string;
  created_at: Date;
}

const server = http.createServer((request, response) => {
  const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (!token) {
    response.writeHead(401).end();
    return;
  }
  const hash = createHash('sha256').update(token).digest('hex');
  pool.query<Row>({ ...PROFILE, values: [hash] }).then(
    ({ rows: [user] }) => {
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
          created_at: user.created_at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        }),
      );
    },
    () => response.writeHead(503).end(),
  );
});

server.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => {
  process.stdout.write('baseline ready\n');
});
process.on('SIGTERM', () => {
  server.close();
  void pool.end();
});
