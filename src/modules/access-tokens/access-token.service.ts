import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, Errors } from '../../common/errors';
import type { User } from '../../users/user.entity';
import { AccessToken } from '../../auth/access-token.entity';
import { generateToken, hashToken } from '../../auth/token';

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

  /** Revokes one of the user's tokens; revoking twice is harmless. */
  async revoke(user: User, id: string): Promise<AccessToken> {
    const accessToken = await this.em.findOne(AccessToken, { id, user });
    if (!accessToken) throw new AppError(Errors.notFound('Access token'));
    if (!accessToken.revokedAt) {
      // Conditional update: a concurrent revocation keeps the first timestamp.
      await this.em.nativeUpdate(AccessToken, { id, revokedAt: null }, { revokedAt: new Date() });
      await this.em.refresh(accessToken);
    }
    return accessToken;
  }
}
