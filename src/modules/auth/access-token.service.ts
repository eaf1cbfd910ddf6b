import { ReferenceKind } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { notFound } from '../../common/errors';
import type { PreparedStatements } from '../../db/prepared';
import { User } from '../users/user.entity';
import { AccessToken } from './access-token.entity';
import { generateToken, hashToken, isWellFormedToken } from './token';
import type { AuthCache } from './auth-cache';
import type { TokenUsage } from './token-usage';

export interface Session {
  user: User;
  tokenId: string;
}

/**
 * The lookup every authenticated request makes: the token's hash, by its
 * unique index, joined to its user (every column MikroORM loads eagerly, so
 * not the lazy password hash), and whether `lastUsedAt` is due a refresh (at
 * most once a minute). Built once from the entity metadata.
 */
let authenticate: { name: string; text: string } | undefined;
function authenticateStatement(em: EntityManager): { name: string; text: string } {
  if (authenticate) return authenticate;
  const columns = em
    .getMetadata()
    .get(User.name)
    .props.filter(
      (prop) => prop.kind === ReferenceKind.SCALAR && !prop.lazy && prop.persist !== false,
    )
    .flatMap((prop) => prop.fieldNames.map((field) => `u.${field}`));
  authenticate = {
    name: 'account_authenticate_v1',
    text: `select t.id as token_id,
                  (t.last_used_at is null or t.last_used_at < now() - interval '1 minute') as touch,
                  ${columns.join(', ')}
           from access_tokens t join users u on u.id = t.user_id
           where t.token_hash = $1 and t.revoked_at is null`,
  };
  return authenticate;
}

type AuthenticatedRow = Record<string, unknown> & { token_id: string; touch: boolean };

export class AccessTokenService {
  constructor(
    private readonly em: EntityManager,
    private readonly statements: PreparedStatements,
    private readonly usage: TokenUsage,
    private readonly cache: AuthCache,
  ) {}

  /**
   * A new token for `user`, persisted with the next flush. The plaintext is
   * returned here once and never stored.
   */
  create(
    user: User,
    name: string,
    em: EntityManager = this.em,
  ): { token: string; accessToken: AccessToken } {
    const token = generateToken();
    const accessToken = em.create(AccessToken, { user, name, tokenHash: hashToken(token) });
    return { token, accessToken };
  }

  /**
   * The session of a Bearer token, or null when it is unknown or revoked:
   * from the auth cache when it holds the token, else one prepared lookup.
   */
  async authenticate(token: string): Promise<Session | null> {
    if (!isWellFormedToken(token)) return null;
    const tokenHash = hashToken(token);
    let found = this.cache.get(tokenHash);
    if (!found) {
      const since = this.cache.mark();
      const statement = authenticateStatement(this.em);
      const [row] = await this.statements.query<AuthenticatedRow>(statement.name, statement.text, [
        tokenHash,
      ]);
      if (!row) return null;
      const { token_id: tokenId, touch, ...user } = row;
      if (touch) this.usage.record(tokenId);
      found = { userId: String(user['id']), tokenId, user };
      this.cache.set(tokenHash, found, since);
    }
    // A managed entity of this request, as if MikroORM had loaded it: updates
    // flush as usual, and no instance is shared between requests.
    return { user: this.em.map(User, { ...found.user }), tokenId: found.tokenId };
  }

  /** Forgets cached sessions of `userId` on this instance now (the others are notified). */
  forget(userId: string): void {
    this.cache.evictUser(userId);
  }

  listActive(user: User): Promise<AccessToken[]> {
    return this.em.find(
      AccessToken,
      { user, revokedAt: null },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    );
  }

  /** Revokes one of the user's tokens; revoking twice is harmless. */
  async revoke(user: User, id: string): Promise<AccessToken> {
    const accessToken = await this.em.findOne(AccessToken, { id, user });
    if (!accessToken) throw notFound('Access token');
    if (!accessToken.revokedAt) {
      // Conditional update: a concurrent revocation keeps the first timestamp.
      await this.em.nativeUpdate(AccessToken, { id, revokedAt: null }, { revokedAt: new Date() });
      this.forget(user.id);
      await this.em.refresh(accessToken);
    }
    return accessToken;
  }
}
