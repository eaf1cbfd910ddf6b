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
import type { Mail } from '../../infra/mail/mail';
import { supersedeCodes } from '../../users/one-time-codes';
import { queueVerificationMail, type CodeTtls } from './email-flows.service';
import type { PasswordHasher } from './password-hasher';

export interface IssuedToken {
  token: string;
  accessToken: AccessToken;
  user: User;
}

export const PASSWORD_CHANGED = 'Password changed successfully';

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
    private readonly mail: Mail,
    private readonly ttls: CodeTtls,
  ) {}

  async signUp(input: { email: string; password: string; name: string }): Promise<IssuedToken> {
    await this.limits.consume('signUpPerAddress', this.requester.ip);
    const passwordHash = await this.hasher.hash(input.password);
    const email = normaliseEmail(input.email);
    try {
      // One transaction: the user, their first token and the verification mail.
      return await this.em.transactional(async (em) => {
        const user = em.create(User, { email, passwordHash, name: input.name.trim() });
        const issued = this.tokens.create(user, 'Sign-up token', em);
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
  async createAccessToken(input: {
    email: string;
    password: string;
    name?: string | null;
  }): Promise<IssuedToken> {
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
    if (!(await this.hasher.verify(user.passwordHash, input.password)))
      throw new AppError(Errors.invalidCredentials());
    await this.limits.reset('passwordAttempts', accountKey(user.id, email));
    await this.limits.refund('signInPerAddress', this.requester.ip);
    await this.rehashIfOutdated(user, input.password);
    await this.limits.consume('tokenCreation', user.id, accountOwner(this.em, user.id));
    return this.issueWithinPlan(user, input.name?.trim() ?? 'Access token');
  }

  /**
   * Existing tokens stay valid (documented behaviour of the Users API);
   * outstanding reset links die, and a notice goes to the address.
   */
  async changePassword(
    user: User,
    input: { currentPassword: string; newPassword: string },
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
   */
  private issueWithinPlan(user: User, name: string): Promise<IssuedToken> {
    return this.em.transactional(async (em) => {
      // Deleted since the password check: as if it had never been there.
      const locked = await lockAccount(em, user.id, Errors.invalidCredentials);
      const limit = PLAN_LIMITS[locked.plan].accessTokens;
      if ((await em.count(AccessToken, { user: locked, revokedAt: null })) >= limit) {
        throw new AppError(Errors.accessTokenPlanLimit(locked.plan, limit));
      }
      const issued = this.tokens.create(locked, name, em);
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
