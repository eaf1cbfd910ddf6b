import type DataLoader from 'dataloader';
import { AccessToken } from '../../auth/access-token.entity';
import { batchAcrossRequests } from '../../infra/db/batch';
import type { EntityColumns, PreparedStatements } from '../../infra/db/sql';
import { ApiKey } from '../api-keys/api-key.entity';
import { Onboarding } from '../onboarding/onboarding.entity';
import { Invitation, Membership, Organization } from '../organizations/organization.entity';

/** What each part shows, by property; the statement below reads these and no more. */
const TOKEN = [
  'id',
  'name',
  'createdAt',
  'lastUsedAt',
  'lastUsedIp',
  'lastUsedUserAgent',
  'expiresAt',
  'scopes',
] as const;
const KEY = [
  'id',
  'provider',
  'name',
  'keyVersion',
  'iv',
  'ciphertext',
  'authTag',
  'checkStatus',
  'statusReason',
  'lastValidatedAt',
  'createdAt',
  'updatedAt',
] as const;
const ONBOARDING = [
  'company',
  'useCase',
  'teamSize',
  'prdStyle',
  'interests',
  'completedAt',
] as const;
const MEMBERSHIP = ['id', 'role', 'createdAt'] as const;
const ORGANIZATION = ['id', 'name', 'createdAt'] as const;

/** An active (neither revoked nor expired) access token: metadata only, never its hash. */
export type OwnedAccessToken = Pick<AccessToken, (typeof TOKEN)[number]>;

/** A provider key as stored: sealed, to be masked before anyone sees it. */
export type OwnedApiKey = Pick<ApiKey, (typeof KEY)[number]>;

/** The onboarding answers, once given. */
export type OwnedOnboarding = Pick<Onboarding, (typeof ONBOARDING)[number]>;

export type OwnedMembership = Pick<Membership, (typeof MEMBERSHIP)[number]> & {
  organization: Pick<Organization, (typeof ORGANIZATION)[number]> & { memberCount: number };
};

/** Everything the viewer owns that its fields show, as of one moment. */
export interface Owned {
  /** Active tokens (neither revoked nor expired), oldest first. */
  accessTokens: OwnedAccessToken[];
  /** By provider. */
  apiKeys: OwnedApiKey[];
  onboarding: OwnedOnboarding | null;
  /** Oldest first. */
  memberships: OwnedMembership[];
  /** Whether the viewer has invited anyone, to any organization. */
  hasInvited: boolean;
}

type JsonObject = Record<string, unknown>;

interface OwnedRow {
  user_id: string;
  access_tokens: JsonObject[];
  api_keys: JsonObject[];
  onboarding: JsonObject | null;
  memberships: (JsonObject & { organization: JsonObject & { memberCount: number } })[];
  has_invited: boolean;
}

/**
 * The viewer's owned rows in one round trip on a named prepared statement
 * (shared by the process, through the ORM's pool): the whole viewer used to
 * cost six ORM queries, each built, parsed and planned anew.
 *
 * One statement, one snapshot, for any number of users: per user, each part
 * is a subquery on the index that serves it, aggregated to JSON. Its table
 * and column names are the entities' (MikroORM's metadata, through
 * `EntityColumns`), and so is the reading back of each part.
 *
 * Reads are also batched across requests (`batchAcrossRequests`): the reads
 * asked for in one turn of the event loop share one execution. Each user
 * still gets its own row of that one snapshot, parsed into objects of its
 * own. Writes stay with the services and MikroORM.
 */
export class ViewerReads {
  private readonly loader: DataLoader<string, Owned>;
  private readonly tokens: EntityColumns<AccessToken>;
  private readonly keys: EntityColumns<ApiKey>;
  private readonly onboardings: EntityColumns<Onboarding>;
  private readonly memberships: EntityColumns<Membership>;
  private readonly organizations: EntityColumns<Organization>;
  private readonly statement: { name: string; text: string };

  constructor(private readonly statements: PreparedStatements) {
    this.tokens = statements.columns(AccessToken);
    this.keys = statements.columns(ApiKey);
    this.onboardings = statements.columns(Onboarding);
    this.memberships = statements.columns(Membership);
    this.organizations = statements.columns(Organization);
    this.statement = {
      name: 'viewer_owned_v3',
      text: ownedStatement(
        this.tokens,
        this.keys,
        this.onboardings,
        this.memberships,
        this.organizations,
        statements.columns(Invitation),
      ),
    };
    this.loader = batchAcrossRequests((userIds) => this.readMany(userIds));
  }

  /** What `userId` owns, as of a moment after this call. */
  read(userId: string): Promise<Owned> {
    return this.loader.load(userId);
  }

  private async readMany(userIds: readonly string[]): Promise<(Owned | Error)[]> {
    const { name, text } = this.statement;
    const rows = await this.statements.query<OwnedRow>(name, text, [userIds]);
    const byUser = new Map(rows.map((row) => [row.user_id, row]));
    return userIds.map((userId) => {
      const row = byUser.get(userId);
      return row ? this.parse(row) : new Error('the owned-rows statement skipped a user');
    });
  }

  private parse(row: OwnedRow): Owned {
    return {
      accessTokens: row.access_tokens.map((token) => this.tokens.fromJson(token, TOKEN)),
      apiKeys: row.api_keys.map((key) => this.keys.fromJson(key, KEY)),
      onboarding: row.onboarding && this.onboardings.fromJson(row.onboarding, ONBOARDING),
      memberships: row.memberships.map((membership) => ({
        ...this.memberships.fromJson(membership, MEMBERSHIP),
        organization: {
          ...this.organizations.fromJson(membership.organization, ORGANIZATION),
          memberCount: membership.organization.memberCount,
        },
      })),
      hasInvited: row.has_invited,
    };
  }
}

/**
 * The statement's text, every table and column named by its entity.
 *
 * Whether the viewer invited anyone is the first inviter at or after the
 * viewer's id, in the order of `invitations_invited_by_idx`, compared with the
 * viewer's id: not `exists (… where invited_by = v.user_id)`. The statement
 * runs under a generic plan (named, reused), which estimates the equality as
 * 1/n_distinct of the table: with a few users owning most invitations that is
 * a large share, and the planner preferred a sequential scan (or a hashed
 * subplan over the whole table), which costs a user who never invited anyone
 * a scan of everyone's invitations (issue 19). Ordered by the indexed column
 * with a limit of one, any plan without the index must read and sort the
 * whole table first, so the index wins whatever the skew: one descent of the
 * btree, whether or not the viewer ever invited anyone (test/generic-plans).
 */
function ownedStatement(
  t: EntityColumns<AccessToken>,
  k: EntityColumns<ApiKey>,
  o: EntityColumns<Onboarding>,
  m: EntityColumns<Membership>,
  g: EntityColumns<Organization>,
  i: EntityColumns<Invitation>,
): string {
  return `
select
  v.user_id,
  (select coalesce(json_agg(json_build_object(${t.jsonPairs('t', TOKEN)})
          order by t.${t.column('createdAt')}, t.${t.column('id')}), '[]')
     from ${t.table} t
    where t.${t.column('user')} = v.user_id and t.${t.column('revokedAt')} is null
      and (t.${t.column('expiresAt')} is null or t.${t.column('expiresAt')} > now())) as access_tokens,
  (select coalesce(json_agg(json_build_object(${k.jsonPairs('k', KEY)})
          order by k.${k.column('provider')}), '[]')
     from ${k.table} k where k.${k.column('user')} = v.user_id) as api_keys,
  (select json_build_object(${o.jsonPairs('o', ONBOARDING)})
     from ${o.table} o where o.${o.column('user')} = v.user_id) as onboarding,
  (select coalesce(json_agg(json_build_object(${m.jsonPairs('m', MEMBERSHIP)},
            'organization', json_build_object(${g.jsonPairs('g', ORGANIZATION)},
              'memberCount', (select count(*) from ${m.table} c
                               where c.${m.column('organization')} = g.${g.column('id')})))
          order by m.${m.column('createdAt')}, m.${m.column('id')}), '[]')
     from ${m.table} m join ${g.table} g on g.${g.column('id')} = m.${m.column('organization')}
    where m.${m.column('user')} = v.user_id) as memberships,
  coalesce((select i.${i.column('invitedBy')} from ${i.table} i
              where i.${i.column('invitedBy')} >= v.user_id
              order by i.${i.column('invitedBy')} limit 1) = v.user_id, false) as has_invited
from unnest($1::text[]) as v(user_id)`;
}
