import type { EntityManager } from '@mikro-orm/postgresql';
import { notFound } from '../../common/errors';
import type { User } from '../users/user.entity';
import { AccessToken } from './access-token.entity';
import { generateToken, hashToken, isWellFormedToken } from './token';

/** `lastUsedAt` is refreshed at most this often, not on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface Session {
  user: User;
  tokenId: string;
}

export class AccessTokenService {
  constructor(private readonly em: EntityManager) {}

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

  /** The session of a Bearer token, or null when it is unknown or revoked. */
  async authenticate(token: string): Promise<Session | null> {
    if (!isWellFormedToken(token)) return null;
    const accessToken = await this.em.findOne(
      AccessToken,
      { tokenHash: hashToken(token), revokedAt: null },
      { populate: ['user'] },
    );
    if (!accessToken) return null;
    await this.touch(accessToken);
    return { user: accessToken.user, tokenId: accessToken.id };
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
      await this.em.refresh(accessToken);
    }
    return accessToken;
  }

  private async touch(accessToken: AccessToken): Promise<void> {
    const now = new Date();
    const stale = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
    if (accessToken.lastUsedAt && accessToken.lastUsedAt > stale) return;
    // One conditional statement, so concurrent requests write it once.
    await this.em.nativeUpdate(
      AccessToken,
      { id: accessToken.id, $or: [{ lastUsedAt: null }, { lastUsedAt: { $lt: stale } }] },
      { lastUsedAt: now },
    );
  }
}
