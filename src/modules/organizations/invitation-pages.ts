import type { CursorKey } from '../../common/cursor';
import { KeysetPages } from '../../infra/db/keyset-pages';
import type { PreparedStatements } from '../../infra/db/sql';
import { User } from '../../users/user.entity';
import { Invitation, Organization, type InvitationStatus, type Role } from './organization.entity';

/** An invitation as a page shows it: its columns, its organization's name, its inviter's name. */
export interface InvitationRow {
  id: string;
  email: string;
  role: Role;
  status: InvitationStatus;
  createdAt: Date;
  expiresAt: Date;
  organization: Pick<Organization, 'id' | 'name'>;
  invitedBy: Pick<User, 'name'> | null;
}

interface Row {
  id: string;
  email: string;
  role: Role;
  status: InvitationStatus;
  /** Milliseconds since the epoch (EntityColumns.selectAs). */
  createdAt: number;
  expiresAt: number;
  organization_id: string;
  organization_name: string;
  /** Null when the inviter's account is gone (or never was). */
  inviter_name: string | null;
}

const INVITATION = ['id', 'email', 'role', 'status', 'createdAt', 'expiresAt'] as const;

/**
 * Pages of an organization's invitations as plain rows, as `MemberPages`
 * reads its members (`KeysetPages` on the (organization, created_at, id)
 * index, the organization and the inviter by primary key). The page used
 * MikroORM's `find` with two populates, the most expensive read of the growth
 * table (issue 19).
 */
export class InvitationPages {
  private readonly pages: KeysetPages<Row>;

  constructor(statements: PreparedStatements) {
    const i = statements.columns(Invitation);
    const o = statements.columns(Organization);
    const u = statements.columns(User);
    this.pages = new KeysetPages(statements, {
      name: 'organization_invitations',
      select: `select ${i.selectAs('i', INVITATION)},
          ${o.selectAs('o', ['id', 'name'], 'organization_')}, u.${u.column('name')} as inviter_name
        from ${i.table} i
        join ${o.table} o on o.${o.column('id')} = i.${i.column('organization')}
        left join ${u.table} u on u.${u.column('id')} = i.${i.column('invitedBy')}
       where i.${i.column('organization')} = k.scope`,
      createdAt: `i.${i.column('createdAt')}`,
      id: `i.${i.column('id')}`,
    });
  }

  /** Up to `limit` invitations of the organization after `after` (oldest first). */
  async read(organizationId: string, limit: number, after?: CursorKey): Promise<InvitationRow[]> {
    const rows = await this.pages.read(organizationId, limit, after);
    return rows.map((row) => ({
      id: row.id,
      email: row.email,
      role: row.role,
      status: row.status,
      createdAt: new Date(row.createdAt),
      expiresAt: new Date(row.expiresAt),
      organization: { id: row.organization_id, name: row.organization_name },
      invitedBy: row.inviter_name === null ? null : { name: row.inviter_name },
    }));
  }
}
