import type DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { batchAcrossRequests } from '../infra/db/batch';
import { DATABASE_NOW_MS, DatabaseInstant, monotonicNow } from '../infra/db/clock';
import type { EntityColumns, PreparedStatements } from '../infra/db/sql';
import type { UserSnapshot } from '../users/user-snapshot';
import { User } from '../users/user.entity';
import { AccessToken } from './access-token.entity';
import type { ClientInfo } from './client';
import { isTokenScope, type TokenScope } from './scopes';
import { ExpiredToken, Session } from './session';
import { hashToken, isWellFormedToken } from './token';
import type { TokenUsage } from './token-usage';

type AuthenticatedRow = Record<string, unknown> & {
  token_hash: string;
  token_id: string;
  /** As the pool's type parsers give it (text, for MikroORM to map). */
  token_expires_at: string | Date | null;
  /** Space-separated: a text is cheaper to read than an array (postgres-array showed in the profile). */
  token_scopes: string;
  expired: boolean;
  touch: boolean;
  read_ms: number;
};

/**
 * The check every authenticated request makes, shared by the whole process:
 * the token's hash, by its unique index, joined to its user (every column
 * MikroORM loads eagerly, so not the lazy password hash), whether
 * `lastUsedAt` is due a refresh (at most once a minute), the token's scopes
 * and expiry (whether it has expired is decided by the database's clock,
 * the same on every instance), and the database's clock at the read (see
 * DatabaseInstant). One named prepared statement: scopes and expiry cost no
 * query of their own.
 *
 * Lookups are batched across requests (`batchAcrossRequests`): the tokens
 * asked for in one turn of the event loop are looked up by one execution
 * (`token_hash = any($1)`; the hash is unique, each answer is matched back
 * by it). Nothing is kept between requests, so a revoked token, a deleted
 * account or a changed profile is seen by the very next request, on every
 * instance.
 */
export class Authenticator {
  private readonly users: EntityColumns<User>;
  private readonly statement: { name: string; text: string };
  private readonly lookups: DataLoader<Lookup, Found | null>;

  constructor(
    private readonly statements: PreparedStatements,
    private readonly usage: TokenUsage,
  ) {
    this.users = statements.columns(User);
    const t = statements.columns(AccessToken);
    const u = this.users;
    const lastUsed = `t.${t.column('lastUsedAt')}`;
    const expiresAt = `t.${t.column('expiresAt')}`;
    this.statement = {
      name: 'account_authenticate_v5',
      text: `select t.${t.column('tokenHash')} as token_hash, t.${t.column('id')} as token_id,
                    ${expiresAt} as token_expires_at,
                    array_to_string(t.${t.column('scopes')}, ' ') as token_scopes,
                    (${expiresAt} is not null and ${expiresAt} <= now()) as expired,
                    (${lastUsed} is null or ${lastUsed} < now() - interval '1 minute') as touch,
                    ${DATABASE_NOW_MS} as read_ms,
                    ${u.eager('u').join(', ')}
             from ${t.table} t join ${u.table} u on u.${u.column('id')} = t.${t.column('user')}
             where t.${t.column('tokenHash')} = any($1::text[]) and t.${t.column('revokedAt')} is null`,
    };
    this.lookups = batchAcrossRequests((batch) => this.lookupMany(batch));
  }

  /**
   * The session of a Bearer token; ExpiredToken when it has expired; null
   * when it is unknown or revoked. `em` gives the request's EntityManager,
   * should the entity be needed; `client` is recorded with the token's use.
   */
  async authenticate(
    token: string,
    em: () => EntityManager,
    client: ClientInfo,
  ): Promise<Session | ExpiredToken | null> {
    if (!isWellFormedToken(token)) return null;
    // The clock is read before the statement is sent: the bound errs on the safe side.
    const found = await this.lookups.load({
      tokenHash: hashToken(token),
      sentAt: monotonicNow(),
      client,
    });
    if (!found) return null;
    if (found.expired) return new ExpiredToken(found.tokenId, found.profile.id);
    // A managed entity of this request, as if MikroORM had loaded these
    // columns (the snapshot holds them mapped to JS values already): updates
    // flush as usual, and no instance is shared between requests.
    return new Session(
      found.tokenId,
      found.profile,
      found.readAt,
      () => em().merge(User, { ...found.profile }, { refresh: true }),
      found.scopes,
      found.expiresAt,
    );
  }

  private async lookupMany(batch: readonly Lookup[]): Promise<(Found | null)[]> {
    const rows = await this.statements.query<AuthenticatedRow>(
      this.statement.name,
      this.statement.text,
      [batch.map((lookup) => lookup.tokenHash)],
    );
    const byHash = new Map(rows.map((row) => [row.token_hash, row]));
    return batch.map(({ tokenHash, sentAt, client }) => {
      const row = byHash.get(tokenHash);
      if (!row) return null;
      // The rest is the user's columns, as MikroORM maps them.
      const {
        token_hash: _hash,
        token_id: tokenId,
        token_expires_at: expiresAt,
        token_scopes: scopes,
        expired,
        touch,
        read_ms: readMs,
        ...user
      } = row;
      if (touch && !expired) this.usage.record(tokenId, client);
      const profile: UserSnapshot = Object.freeze(this.users.map(user));
      return {
        tokenId,
        profile,
        readAt: new DatabaseInstant(readMs, sentAt),
        expired,
        expiresAt: expiresAt === null ? null : new Date(expiresAt),
        scopes: scopeSet(scopes),
      };
    });
  }
}

/**
 * The scopes of a token, one shared set per combination (there are at most
 * 65 orderings of subsets of four), so that a request does not build its own.
 */
function scopeSet(listed: string): ReadonlySet<TokenScope> {
  let set = scopeSets.get(listed);
  if (!set) {
    set = new Set(listed.split(' ').filter(isTokenScope));
    // Only combinations of known scopes are kept: the map cannot grow past them.
    if (set.size === listed.split(' ').length || listed === '') scopeSets.set(listed, set);
  }
  return set;
}

const scopeSets = new Map<string, ReadonlySet<TokenScope>>();

/** One token to look up, with the clock taken when it was asked for. */
interface Lookup {
  tokenHash: string;
  sentAt: number;
  /** Who uses the token, recorded with its use. */
  client: ClientInfo;
}

/** What the lookup found for a token. */
interface Found {
  tokenId: string;
  /** The user's columns, mapped to the entity's properties, frozen. */
  profile: UserSnapshot;
  /** When the database read them. */
  readAt: DatabaseInstant;
  expired: boolean;
  expiresAt: Date | null;
  scopes: ReadonlySet<TokenScope>;
}
