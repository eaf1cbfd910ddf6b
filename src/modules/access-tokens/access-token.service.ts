import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, Errors } from '../../common/errors';
import type { User } from '../../users/user.entity';
import { AccessToken } from '../../auth/access-token.entity';
import type { ClientInfo } from '../../auth/client';
import { SecurityLog } from '../../auth/security-log';
import { generateToken, hashToken } from '../../auth/token';
import type { TokenOptions } from './token-options';

export class AccessTokenService {
  constructor(
    private readonly em: EntityManager,
    /** Who asks, as the security log keeps it. */
    private readonly client: ClientInfo,
  ) {}

  /**
   * A new token for `user`, persisted with the next flush. The plaintext is
   * returned here once and never stored.
   */
  create(
    user: User,
    name: string,
    options: TokenOptions,
    em: EntityManager = this.em,
  ): { token: string; accessToken: AccessToken } {
    const token = generateToken();
    const accessToken = em.create(AccessToken, {
      user,
      name,
      tokenHash: hashToken(token),
      expiresAt: options.expiresAt,
      scopes: options.scopes,
    });
    return { token, accessToken };
  }

  /** Revokes one of the user's tokens; revoking twice is harmless (and logged once). */
  async revoke(user: User, id: string): Promise<AccessToken> {
    const accessToken = await this.em.findOne(AccessToken, { id, user });
    if (!accessToken) throw new AppError(Errors.notFound('Access token'));
    if (!accessToken.revokedAt) {
      await this.em.transactional(async (em) => {
        // Conditional update: a concurrent revocation keeps the first timestamp, and its event.
        const revoked = await em.nativeUpdate(
          AccessToken,
          { id, revokedAt: null },
          { revokedAt: new Date() },
        );
        if (revoked > 0) SecurityLog.add(em, user, 'TOKEN_REVOKED', this.client, id);
      });
      await this.em.refresh(accessToken);
    }
    return accessToken;
  }

  /**
   * Sign-out everywhere: revokes every active token of the user but `keepId`,
   * in one statement (so no token is left half-way, on any instance: each
   * request checks its token in the database), with its security event in
   * the same transaction. Returns how many were revoked.
   */
  async revokeOthers(user: User, keepId: string, em?: EntityManager): Promise<number> {
    const run = async (tx: EntityManager) => {
      const now = new Date();
      const revoked = await tx.nativeUpdate(
        AccessToken,
        {
          user,
          id: { $ne: keepId },
          revokedAt: null,
          $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }],
        },
        { revokedAt: now },
      );
      SecurityLog.add(tx, user, 'OTHER_TOKENS_REVOKED', this.client, keepId);
      return revoked;
    };
    return em ? run(em) : this.em.transactional(run);
  }
}
