import type { CursorKey } from '../../common/cursor';
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
 * reads its members (see there): two named prepared statements on the
 * (organization, created_at, id) index, the organization and the inviter by
 * primary key. The page used MikroORM's `find` with two populates, the most
 * expensive read of the growth table (issue 19).
 */
export class InvitationPages {
  private readonly first: { name: string; text: string };
  private readonly after: { name: string; text: string };

  constructor(private readonly statements: PreparedStatements) {
    const i = statements.columns(Invitation);
    const o = statements.columns(Organization);
    const u = statements.columns(User);
    const createdAt = `i.${i.column('createdAt')}`;
    const id = `i.${i.column('id')}`;
    const select = `select ${i.selectAs('i', INVITATION)},
        ${o.selectAs('o', ['id', 'name'], 'organization_')}, u.${u.column('name')} as inviter_name
      from ${i.table} i
      join ${o.table} o on o.${o.column('id')} = i.${i.column('organization')}
      left join ${u.table} u on u.${u.column('id')} = i.${i.column('invitedBy')}
      where i.${i.column('organization')} = $1`;
    const order = `order by ${createdAt}, ${id} limit $2`;
    this.first = { name: 'organization_invitations_first_v1', text: `${select} ${order}` };
    // `>=` lets the index range start at the cursor; the `or` settles ties on created_at.
    this.after = {
      name: 'organization_invitations_after_v1',
      text: `${select} and ${createdAt} >= $3 and (${createdAt} > $3 or ${id} > $4) ${order}`,
    };
  }

  /** Up to `limit` invitations of the organization after `after` (oldest first). */
  async read(organizationId: string, limit: number, after?: CursorKey): Promise<InvitationRow[]> {
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
