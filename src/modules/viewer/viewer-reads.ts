import type DataLoader from 'dataloader';
import { batchAcrossRequests } from '../../db/batch';
import type { PreparedStatements } from '../../db/adapter';
import type { StoredApiKey } from '../api-keys/api-key.service';
import type { StoredOnboarding } from '../onboarding/onboarding.service';
import type { Role } from '../organizations/organization.entity';

export interface OwnedAccessToken {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** A provider key as stored: sealed, to be masked before anyone sees it. */
export type OwnedApiKey = StoredApiKey;

export type OwnedOnboarding = StoredOnboarding;

export interface OwnedMembership {
  id: string;
  role: Role;
  createdAt: Date;
  organization: { id: string; name: string; createdAt: Date; memberCount: number };
}

/** Everything the viewer owns that its fields show, as of one moment. */
export interface Owned {
  /** Active tokens, oldest first. */
  accessTokens: OwnedAccessToken[];
  /** By provider. */
  apiKeys: OwnedApiKey[];
  onboarding: OwnedOnboarding | null;
  /** Oldest first. */
  memberships: OwnedMembership[];
  /** Whether the viewer has invited anyone, to any organization. */
  hasInvited: boolean;
}

/*
 * One statement, one snapshot, for any number of users: per user, each part
 * is a subquery on the index that serves it, aggregated to JSON. Timestamps
 * travel as ISO 8601 text and bytes as base64; `parse` below turns them back.
 */
const STATEMENT = 'viewer_owned_v2';
const SQL = `
select
  v.user_id,
  (select coalesce(json_agg(json_build_object(
            'id', t.id, 'name', t.name, 'createdAt', t.created_at, 'lastUsedAt', t.last_used_at)
          order by t.created_at, t.id), '[]')
     from access_tokens t where t.user_id = v.user_id and t.revoked_at is null) as access_tokens,
  (select coalesce(json_agg(json_build_object(
            'id', k.id, 'provider', k.provider, 'name', k.name, 'keyVersion', k.key_version,
            'iv', encode(k.iv, 'base64'), 'ciphertext', encode(k.ciphertext, 'base64'),
            'authTag', encode(k.auth_tag, 'base64'),
            'createdAt', k.created_at, 'updatedAt', k.updated_at)
          order by k.provider), '[]')
     from api_keys k where k.user_id = v.user_id) as api_keys,
  (select json_build_object(
            'company', o.company, 'useCase', o.use_case, 'teamSize', o.team_size,
            'prdStyle', o.prd_style, 'interests', o.interests, 'completedAt', o.completed_at)
     from onboardings o where o.user_id = v.user_id) as onboarding,
  (select coalesce(json_agg(json_build_object(
            'id', m.id, 'role', m.role, 'createdAt', m.created_at,
            'organization', json_build_object(
              'id', g.id, 'name', g.name, 'createdAt', g.created_at,
              'memberCount', (select count(*) from memberships c where c.organization_id = g.id)))
          order by m.created_at, m.id), '[]')
     from memberships m join organizations g on g.id = m.organization_id
    where m.user_id = v.user_id) as memberships,
  exists (select 1 from invitations i where i.invited_by_id = v.user_id) as has_invited
from unnest($1::text[]) as v(user_id)`;

interface OwnedRow {
  user_id: string;
  access_tokens: Json<OwnedAccessToken>[];
  api_keys: Json<OwnedApiKey>[];
  onboarding: Json<OwnedOnboarding> | null;
  memberships: (Json<Omit<OwnedMembership, 'organization'>> & {
    organization: Json<OwnedMembership['organization']>;
  })[];
  has_invited: boolean;
}

/** What JSON makes of a row: timestamps and bytes become strings. */
type Json<T> = { [K in keyof T]: JsonValue<T[K]> };
type JsonValue<V> = V extends Date | Buffer ? string : V;

/**
 * The viewer's owned rows in one round trip on a named prepared statement
 * (shared by the process, through the ORM's pool): the whole viewer used to
 * cost six ORM queries, each built, inlined, parsed and planned anew.
 *
 * Reads are also batched across requests (`batchAcrossRequests`): the reads
 * asked for in one turn of the event loop share one execution. Each user
 * still gets its own row of that one snapshot, parsed into objects of its
 * own. Writes stay with the services and MikroORM.
 */
export class ViewerReads {
  private readonly loader: DataLoader<string, Owned>;

  constructor(private readonly statements: PreparedStatements) {
    this.loader = batchAcrossRequests((userIds) => this.readMany(userIds));
  }

  /** What `userId` owns, as of a moment after this call. */
  read(userId: string): Promise<Owned> {
    return this.loader.load(userId);
  }

  private async readMany(userIds: readonly string[]): Promise<(Owned | Error)[]> {
    const rows = await this.statements.query<OwnedRow>(STATEMENT, SQL, [userIds]);
    const byUser = new Map(rows.map((row) => [row.user_id, row]));
    return userIds.map((userId) => {
      const row = byUser.get(userId);
      return row ? parse(row) : new Error('the owned-rows statement skipped a user');
    });
  }
}

function parse(row: OwnedRow): Owned {
  return {
    accessTokens: row.access_tokens.map((token) => ({
      ...token,
      createdAt: new Date(token.createdAt),
      lastUsedAt: dateOrNull(token.lastUsedAt),
    })),
    apiKeys: row.api_keys.map((key) => ({
      ...key,
      iv: Buffer.from(key.iv, 'base64'),
      ciphertext: Buffer.from(key.ciphertext, 'base64'),
      authTag: Buffer.from(key.authTag, 'base64'),
      createdAt: new Date(key.createdAt),
      updatedAt: new Date(key.updatedAt),
    })),
    onboarding: row.onboarding && {
      ...row.onboarding,
      completedAt: new Date(row.onboarding.completedAt),
    },
    memberships: row.memberships.map((membership) => ({
      ...membership,
      createdAt: new Date(membership.createdAt),
      organization: {
        ...membership.organization,
        createdAt: new Date(membership.organization.createdAt),
      },
    })),
    hasInvited: row.has_invited,
  };
}

function dateOrNull(value: string | null): Date | null {
  return value === null ? null : new Date(value);
}
