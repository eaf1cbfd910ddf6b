import type { CursorKey } from '../../common/cursor';
import type { PreparedStatements } from '../../infra/db/sql';
import { User } from '../../users/user.entity';
import { Membership, type Role } from './organization.entity';

/** A member as a page shows them: the membership and the user's public columns. */
export interface MemberRow {
  id: string;
  role: Role;
  createdAt: Date;
  user: Pick<User, 'id' | 'name' | 'email' | 'avatarUrl'>;
}

interface Row {
  id: string;
  role: Role;
  /** Milliseconds since the epoch (EntityColumns.selectAs). */
  createdAt: number;
  user_id: string;
  user_name: string;
  user_email: string;
  user_avatarUrl: string | null;
}

const MEMBERSHIP = ['id', 'role', 'createdAt'] as const;
const USER = ['id', 'name', 'email', 'avatarUrl'] as const;

/**
 * Pages of an organization's members as plain rows, on two named prepared
 * statements (the first page, and a page after a cursor), shared by the
 * process: keyset on the (organization, created_at, id) index, the user by
 * its primary key. The members' first page loaded each row as a managed
 * MikroORM entity with its user (find, hydration, identity map: the largest
 * share of its CPU profile, issue 19); nothing here is ever written, so
 * nothing needs to be managed.
 */
export class MemberPages {
  private readonly first: { name: string; text: string };
  private readonly after: { name: string; text: string };

  constructor(private readonly statements: PreparedStatements) {
    const m = statements.columns(Membership);
    const u = statements.columns(User);
    const createdAt = `m.${m.column('createdAt')}`;
    const id = `m.${m.column('id')}`;
    const select = `select ${m.selectAs('m', MEMBERSHIP)}, ${u.selectAs('u', USER, 'user_')}
      from ${m.table} m join ${u.table} u on u.${u.column('id')} = m.${m.column('user')}
      where m.${m.column('organization')} = $1`;
    const order = `order by ${createdAt}, ${id} limit $2`;
    this.first = { name: 'organization_members_first_v1', text: `${select} ${order}` };
    // `>=` lets the index range start at the cursor; the `or` settles ties on created_at.
    this.after = {
      name: 'organization_members_after_v1',
      text: `${select} and ${createdAt} >= $3 and (${createdAt} > $3 or ${id} > $4) ${order}`,
    };
  }

  /** Up to `limit` members of the organization after `after` (oldest first). */
  async read(organizationId: string, limit: number, after?: CursorKey): Promise<MemberRow[]> {
    const rows = after
      ? await this.statements.query<Row>(this.after.name, this.after.text, [
          organizationId,
          limit,
          after.createdAt,
          after.id,
        ])
      : await this.statements.query<Row>(this.first.name, this.first.text, [organizationId, limit]);
    return rows.map((row) => ({
      id: row.id,
      role: row.role,
      createdAt: new Date(row.createdAt),
      user: {
        id: row.user_id,
        name: row.user_name,
        email: row.user_email,
        avatarUrl: row.user_avatarUrl,
      },
    }));
  }
}
