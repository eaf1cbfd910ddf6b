import type { CursorKey } from '../../common/cursor';
import { KeysetPages } from '../../infra/db/keyset-pages';
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
 * Pages of an organization's members as plain rows (`KeysetPages`: batched
 * across requests, keyset on the (organization, created_at, id) index, the
 * user by its primary key). The members' first page loaded each row as a
 * managed MikroORM entity with its user (find, hydration, identity map: the
 * largest share of its CPU profile, issue 19); nothing here is ever written,
 * so nothing needs to be managed.
 */
export class MemberPages {
  private readonly pages: KeysetPages<Row>;

  constructor(statements: PreparedStatements) {
    const m = statements.columns(Membership);
    const u = statements.columns(User);
    this.pages = new KeysetPages(statements, {
      name: 'organization_members',
      select: `select ${m.selectAs('m', MEMBERSHIP)}, ${u.selectAs('u', USER, 'user_')}
        from ${m.table} m join ${u.table} u on u.${u.column('id')} = m.${m.column('user')}
       where m.${m.column('organization')} = k.scope`,
      createdAt: `m.${m.column('createdAt')}`,
      id: `m.${m.column('id')}`,
    });
  }

  /** Up to `limit` members of the organization after `after` (oldest first). */
  async read(organizationId: string, limit: number, after?: CursorKey): Promise<MemberRow[]> {
    const rows = await this.pages.read(organizationId, limit, after);
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
