import { ReferenceKind, type EntityMetadata } from '@mikro-orm/core';
import type DataLoader from 'dataloader';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { batchAcrossRequests } from '../../db/batch';
import { DATABASE_NOW_MS, DatabaseInstant, monotonicNow } from '../../db/database-clock';
import type { PreparedStatements } from '../../db/adapter';
import { User } from '../users/user.entity';
import type { AuthCache, CachedSession } from './auth-cache';
import { hashToken, isWellFormedToken } from './token';
import type { TokenUsage } from './token-usage';

/** The user's columns as read when the token was checked: what a profile shows. */
export type UserSnapshot = Readonly<
  Pick<
    User,
    | 'id'
    | 'email'
    | 'name'
    | 'jobTitle'
    | 'bio'
    | 'avatarUrl'
    | 'preferredStyle'
    | 'timezone'
    | 'emailVerified'
    | 'plan'
    | 'createdAt'
    | 'updatedAt'
    | 'lastActiveAt'
  >
>;

/**
 * Who a request is. Reads of the viewer's own columns use `profile`, an
 * immutable snapshot shared by every request of the same token while it is
 * cached; `user` is the managed entity of this request's EntityManager,
 * made on first use only (for relations and writes), so a request that just
 * shows the profile never builds one.
 */
export class Session {
  private entity: User | undefined;

  constructor(
    readonly tokenId: string,
    readonly profile: UserSnapshot,
    /** When the database read `profile` (it may have been cached since). */
    readonly readAt: DatabaseInstant,
    private readonly materialise: () => User,
  ) {}

  get userId(): string {
    return this.profile.id;
  }

  get user(): User {
    return (this.entity ??= this.materialise());
  }
}

type AuthenticatedRow = Record<string, unknown> & {
  token_hash: string;
  token_id: string;
  touch: boolean;
  read_ms: number;
};

/**
 * The check every authenticated request makes, shared by the whole process:
 * the token's hash, by its unique index, joined to its user (every column
 * MikroORM loads eagerly, so not the lazy password hash), whether
 * `lastUsedAt` is due a refresh (at most once a minute), and the database's
 * clock at the read (see DatabaseInstant). One named prepared
 * statement, or no query at all while the auth cache holds the token.
 *
 * Lookups are batched across requests (`batchAcrossRequests`): the tokens
 * asked for in one turn of the event loop are looked up by one execution
 * (`token_hash = any($1)`; the hash is unique, each answer is matched back
 * by it). That matters when the cache is off or cold.
 */
export class Authenticator {
  private readonly meta: EntityMetadata<User>;
  private readonly statement: { name: string; text: string };
  private readonly lookups: DataLoader<Lookup, CachedSession | null>;

  constructor(
    private readonly orm: MikroORM,
    private readonly statements: PreparedStatements,
    private readonly usage: TokenUsage,
    private readonly cache: AuthCache,
  ) {
    this.meta = orm.getMetadata().get(User);
    const columns = this.meta.props
      .filter((prop) => prop.kind === ReferenceKind.SCALAR && !prop.lazy && prop.persist !== false)
      .flatMap((prop) => prop.fieldNames.map((field) => `u.${field}`));
    this.statement = {
      name: 'account_authenticate_v3',
      text: `select t.token_hash, t.id as token_id,
                    (t.last_used_at is null or t.last_used_at < now() - interval '1 minute') as touch,
                    ${DATABASE_NOW_MS} as read_ms,
                    ${columns.join(', ')}
             from access_tokens t join users u on u.id = t.user_id
             where t.token_hash = any($1::text[]) and t.revoked_at is null`,
    };
    this.lookups = batchAcrossRequests((batch) => this.lookupMany(batch));
  }

  /**
   * The session of a Bearer token, or null when it is unknown or revoked.
   * `em` gives the request's EntityManager, should the entity be needed.
   */
  async authenticate(token: string, em: () => EntityManager): Promise<Session | null> {
    if (!isWellFormedToken(token)) return null;
    const tokenHash = hashToken(token);
    const found =
      this.cache.get(tokenHash) ??
      // Marks taken now, before the statement is sent: both err on the safe side.
      (await this.lookups.load({ tokenHash, since: this.cache.mark(), sentAt: monotonicNow() }));
    if (!found) return null;
    // A managed entity of this request, as if MikroORM had loaded these
    // columns (the snapshot holds them mapped to JS values already): updates
    // flush as usual, and no instance is shared between requests.
    return new Session(found.tokenId, found.profile, found.readAt, () =>
      em().merge(User, { ...found.profile }, { refresh: true }),
    );
  }

  /** Forgets cached sessions of `userId` on this instance now (the others are notified). */
  forget(userId: string): void {
    this.cache.evictUser(userId);
  }

  private async lookupMany(batch: readonly Lookup[]): Promise<(CachedSession | null)[]> {
    const rows = await this.statements.query<AuthenticatedRow>(
      this.statement.name,
      this.statement.text,
      [batch.map((lookup) => lookup.tokenHash)],
    );
    const byHash = new Map(rows.map((row) => [row.token_hash, row]));
    return batch.map(({ tokenHash, since, sentAt }) => {
      const row = byHash.get(tokenHash);
      if (!row) return null;
      // The rest is the user's columns, as MikroORM maps them.
      const { token_hash: _hash, token_id: tokenId, touch, read_ms: readMs, ...user } = row;
      if (touch) this.usage.record(tokenId);
      const profile = Object.freeze(
        this.orm.em.getDriver().mapResult(user, this.meta) as unknown as UserSnapshot,
      );
      const found: CachedSession = {
        tokenId,
        profile,
        readAt: new DatabaseInstant(readMs, sentAt),
      };
      this.cache.set(tokenHash, found, since);
      return found;
    });
  }
}

/** One token to look up, with the cache's mark and the clock taken when it was asked for. */
interface Lookup {
  tokenHash: string;
  since: number;
  sentAt: number;
}
