import type DataLoader from 'dataloader';
import { batchAcrossRequests } from '../../infra/db/batch';
import type { EntityColumns, PreparedStatements } from '../../infra/db/sql';
import { User } from '../../users/user.entity';
import { Membership } from '../organizations/organization.entity';
import { UserType } from './user.types';

/** A request for one user's public face, by one viewer. */
export interface VisibleUserKey {
  viewerId: string;
  userId: string;
}

interface VisibleRow {
  ord: string;
  id: string;
  name: string;
  avatar_url: string | null;
}

/**
 * Who a viewer may see: themself, and the members of the organizations they
 * belong to. Everyone else, existing or not, is `null`, and the same way:
 *
 * - one named statement for every case (the viewer, a co-member, a
 *   stranger, an id nobody has, a malformed id), its visibility decided in
 *   SQL from the viewer's memberships and intersected with the ids asked
 *   for; there is no early answer for an id that "cannot" exist, no error
 *   that names one, and whether a stranger exists is never looked at apart
 *   from the one index probe of the same statement;
 * - only the public columns are read (id, name, avatar), so nothing else can
 *   leak through an entity reference;
 * - batched across requests (`batchAcrossRequests`): every `_entities`
 *   representation of every request in one turn of the event loop is one
 *   round trip, each pair (viewer, id) judged on its own.
 */
export class VisibleUsers {
  private readonly loader: DataLoader<VisibleUserKey, UserType | null>;
  private readonly statement: { name: string; text: string };

  constructor(private readonly statements: PreparedStatements) {
    this.statement = {
      name: 'visible_users_v1',
      text: visibleStatement(statements.columns(User), statements.columns(Membership)),
    };
    this.loader = batchAcrossRequests((keys) => this.readMany(keys));
  }

  /** The user's public face if `viewerId` may see them, else null. */
  read(viewerId: string, userId: string): Promise<UserType | null> {
    return this.loader.load({ viewerId, userId });
  }

  private async readMany(keys: readonly VisibleUserKey[]): Promise<(UserType | null)[]> {
    const { name, text } = this.statement;
    const rows = await this.statements.query<VisibleRow>(name, text, [
      keys.map((key) => key.viewerId),
      keys.map((key) => key.userId),
    ]);
    const byOrdinal = new Map(rows.map((row) => [Number(row.ord), row]));
    return keys.map((_key, index) => {
      const row = byOrdinal.get(index + 1);
      return row ? new UserType({ id: row.id, name: row.name, avatarUrl: row.avatar_url }) : null;
    });
  }
}

/** The statement's text, every table and column named by its entity. */
function visibleStatement(u: EntityColumns<User>, m: EntityColumns<Membership>): string {
  return `
select r.ord, x.${u.column('id')} as id, x.${u.column('name')} as name,
       x.${u.column('avatarUrl')} as avatar_url
  from unnest($1::text[], $2::text[]) with ordinality as r(viewer_id, user_id, ord)
  join ${u.table} x on x.${u.column('id')} = r.user_id
 where x.${u.column('id')} = r.viewer_id
    or exists (select 1
                 from ${m.table} a
                 join ${m.table} b on b.${m.column('organization')} = a.${m.column('organization')}
                where a.${m.column('user')} = r.viewer_id
                  and b.${m.column('user')} = x.${u.column('id')})`;
}
