import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, Errors } from '../../common/errors';
import type { Requester } from '../../auth/requester';
import type { LimitName } from '../../config';
import type { RateLimits } from '../../infra/rate-limits';
import { PLAN_LIMITS } from '../plans/plan-limits';
import { normaliseEmail } from '../../users/email';
import { accountOwner, lockAccount } from '../../users/account-lock';
import { User } from '../../users/user.entity';
import { AccessToken } from '../../auth/access-token.entity';
import type { AccessTokenService } from '../access-tokens/access-token.service';
import { SecurityLog } from '../../auth/security-log';
import type { TokenScope } from '../../auth/scopes';
import {
  tokenOptions,
  type TokenExpiryPreset,
  type TokenOptions,
} from '../access-tokens/token-options';
import type { Mail } from '../../infra/mail/mail';
import { supersedeCodes } from '../../users/one-time-codes';
import { queueVerificationMail, type CodeTtls } from './email-links';
import type { PasswordHasher } from './password-hasher';

export interface IssuedToken {
  token: string;
  accessToken: AccessToken;
  user: User;
}

export const PASSWORD_CHANGED = 'Password changed successfully';

/** What a client may ask of a new token. */
export interface TokenRequest {
  expiresIn?: TokenExpiryPreset | null;
  scopes?: TokenScope[] | null;
}

/** When a token was last used, or made if never: the order revokeLeastRecentlyUsed goes by. */
const lastUse = (token: Pick<AccessToken, 'lastUsedAt' | 'createdAt'>): number =>
  (token.lastUsedAt ?? token.createdAt).getTime();

/** The password-attempt budget of an account: its id, or its email when there is no such account. */
export const accountKey = (userId: string | undefined, email: string): string =>
  userId ?? `email:${email}`;

export class AccountService {
  constructor(
    private readonly em: EntityManager,
    private readonly hasher: PasswordHasher,
    private readonly tokens: AccessTokenService,
    private readonly limits: RateLimits<LimitName>,
    private readonly requester: Requester,
    /** ACCESS_TOKEN_MAX_DAYS: the longest a new token may live. */
    private readonly tokenMaxDays: number | undefined,
    private readonly mail: Mail,
    private readonly ttls: CodeTtls,
  ) {}

  async signUp(
    input: { email: string; password: string; name: string } & TokenRequest,
  ): Promise<IssuedToken> {
    const options = tokenOptions(input, this.tokenMaxDays);
    await this.limits.consume('signUpPerAddress', this.requester.ip);
    const passwordHash = await this.hasher.hash(input.password);
    const email = normaliseEmail(input.email);
    try {
      // One transaction: the user, their first token, the log's first line and
      // the verification mail.
      return await this.em.transactional(async (em) => {
        const user = em.create(User, { email, passwordHash, name: input.name.trim() });
        const issued = this.tokens.create(user, 'Sign-up token', options, em);
        SecurityLog.add(em, user, 'SIGN_UP', this.requester.client, issued.accessToken.id);
        await em.flush();
        await queueVerificationMail(em, this.mail, user, this.ttls);
        return { ...issued, user };
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw new AppError(Errors.emailTaken());
      }
      throw error;
    }
  }

  /**
   * Sign-in: exchanges an email and password for a new Bearer token. Every
   * attempt is counted, per account and per client address, before the
   * password is checked, so that no burst (on any number of instances) gets
   * more checks than the limit; a success clears the account's count.
   */
  async createAccessToken(
    input: {
      email: string;
      password: string;
      name?: string | null;
      revokeLeastRecentlyUsed?: boolean | null;
    } & TokenRequest,
  ): Promise<IssuedToken> {
    const options = tokenOptions(input, this.tokenMaxDays);
    const email = normaliseEmail(input.email);
    await this.limits.consume('signInPerAddress', this.requester.ip);
    const user = await this.em.findOne(User, { email }, { populate: ['passwordHash'] });
    await this.limits.consume(
      'passwordAttempts',
      accountKey(user?.id, email),
      user ? accountOwner(this.em, user.id) : undefined,
    );
    if (!user) {
      await this.hasher.verifyNothing(input.password);
      throw new AppError(Errors.invalidCredentials());
    }
    if (!(await this.hasher.verify(user.passwordHash, input.password))) {
      SecurityLog.add(this.em, user, 'SIGN_IN_FAILED', this.requester.client);
      await this.em.flush();
      throw new AppError(Errors.invalidCredentials());
    }
    await this.limits.reset('passwordAttempts', accountKey(user.id, email));
    await this.limits.refund('signInPerAddress', this.requester.ip);
    await this.rehashIfOutdated(user, input.password);
    await this.limits.consume('tokenCreation', user.id, accountOwner(this.em, user.id));
    return this.issueWithinPlan(
      user,
      input.name?.trim() ?? 'Access token',
      options,
      input.revokeLeastRecentlyUsed === true,
    );
  }

  /**
   * Existing tokens stay valid (documented behaviour of the Users API) unless
   * `revokeOtherTokens`: then every token but the caller's (`currentTokenId`)
   * is revoked in the same transaction as the change. Outstanding reset links
   * die, and a notice goes to the address.
   */
  async changePassword(
    user: User,
    input: { currentPassword: string; newPassword: string; revokeOtherTokens?: boolean | null },
    currentTokenId: string,
  ): Promise<void> {
    await this.limits.consume(
      'passwordAttempts',
      accountKey(user.id, user.email),
      accountOwner(this.em, user.id),
    );
    // Read afresh: an account deleted since the request was authenticated
    // has no hash left to check (and its token is dead).
    const current = await this.em.findOne(
      User,
      { id: user.id },
      { populate: ['passwordHash'], refresh: true },
    );
    if (!current) throw new AppError(Errors.unauthenticated());
    if (!(await this.hasher.verify(current.passwordHash, input.currentPassword))) {
      throw new AppError(Errors.wrongCurrentPassword());
    }
    await this.limits.reset('passwordAttempts', accountKey(user.id, user.email));
    const passwordHash = await this.hasher.hash(input.newPassword);
    await this.em.transactional(async (em) => {
      // Deleted since the password check (a racing deletion): as its token is from now on.
      await lockAccount(em, user.id);
      await em.nativeUpdate(User, { id: user.id }, { passwordHash, updatedAt: new Date() });
      await supersedeCodes(em, user.id, ['password_reset']);
      SecurityLog.add(em, user, 'PASSWORD_CHANGED', this.requester.client);
      if (input.revokeOtherTokens === true)
        await this.tokens.revokeOthers(user, currentTokenId, em);
      await this.mail.enqueueMail(em, {
        template: 'password_changed',
        to: user.email,
        userId: user.id,
      });
    });
    user.passwordHash = passwordHash;
  }

  /**
   * Counts and inserts under the user's row lock, so that racing requests (on
   * any instance) cannot together exceed the plan's active-token limit.
   * Active: neither revoked nor expired. At the limit, `revokeLeastRecentlyUsed`
   * revokes the tokens used least recently (never used: by creation) to make
   * room, in the same transaction, so the limit still holds exactly.
   */
  private issueWithinPlan(
    user: User,
    name: string,
    options: TokenOptions,
    revokeLeastRecentlyUsed: boolean,
  ): Promise<IssuedToken> {
    return this.em.transactional(async (em) => {
      // Deleted since the password check: as if it had never been there.
      const locked = await lockAccount(em, user.id, Errors.invalidCredentials);
      const limit = PLAN_LIMITS[locked.plan].accessTokens;
      const now = new Date();
      const active = await em.find(AccessToken, {
        user: locked,
        revokedAt: null,
        $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }],
      });
      const excess = active.length - limit + 1;
      if (excess > 0) {
        if (!revokeLeastRecentlyUsed) {
          throw new AppError(Errors.accessTokenPlanLimit(locked.plan, limit));
        }
        const leastRecent = active
          .sort((a, b) => lastUse(a) - lastUse(b) || a.id.localeCompare(b.id))
          .slice(0, excess);
        for (const token of leastRecent) {
          token.revokedAt = now;
          SecurityLog.add(em, locked, 'TOKEN_REVOKED', this.requester.client, token.id);
        }
      }
      const issued = this.tokens.create(locked, name, options, em);
      SecurityLog.add(em, locked, 'SIGN_IN', this.requester.client, issued.accessToken.id);
      await em.flush();
      return { ...issued, user: locked };
    });
  }

  private async rehashIfOutdated(user: User, password: string): Promise<void> {
    if (!this.hasher.needsRehash(user.passwordHash)) return;
    user.passwordHash = await this.hasher.hash(password);
    await this.em.flush();
  }
}
