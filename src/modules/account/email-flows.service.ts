import { createHash } from 'node:crypto';
import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, Errors } from '../../common/errors';
import type { Requester } from '../../auth/requester';
import { SecurityLog } from '../../auth/security-log';
import { AccessToken } from '../../auth/access-token.entity';
import type { LimitName } from '../../config';
import type { Jobs } from '../../infra/jobs/jobs';
import type { Mail } from '../../infra/mail/mail';
import type { RateLimits } from '../../infra/rate-limits';
import { isEmail } from 'class-validator';
import { Limits } from '../../common/validation';
import { normaliseEmail } from '../../users/email';
import { passwordPolicyViolations } from '../../users/password-policy';
import { consumeCode, supersedeCodes } from '../../users/one-time-codes';
import { User } from '../../users/user.entity';
import type { AccessTokenService } from '../access-tokens/access-token.service';
import { tokenOptions } from '../access-tokens/token-options';
import { accountOwner, lockAccount } from '../../users/account-lock';
import { accountKey, type IssuedToken } from './account.service';
import {
  LINK_PATHS,
  PASSWORD_RESET_REQUEST_JOB,
  queueLinkMail,
  queueVerificationMail,
  type CodeTtls,
} from './email-links';
import type { PasswordHasher } from './password-hasher';

/** A rate-limit key for an address that keeps no address in the database. */
export function addressKey(email: string): string {
  return `address:${createHash('sha256').update(email).digest('base64url').slice(0, 32)}`;
}

/**
 * Verification, recovery and email change: every flow that goes through a
 * mailed link. Each change and the mail it causes commit together.
 */
export class EmailFlowsService {
  constructor(
    private readonly em: EntityManager,
    private readonly mail: Mail,
    private readonly jobs: Jobs,
    private readonly hasher: PasswordHasher,
    private readonly tokens: AccessTokenService,
    private readonly limits: RateLimits<LimitName>,
    private readonly requester: Requester,
    private readonly ttls: CodeTtls,
    /** ACCESS_TOKEN_MAX_DAYS: the longest a new token (the one a reset returns) may live. */
    private readonly tokenMaxDays: number | undefined,
  ) {}

  /** A new verification mail; false (nothing sent) when the address is already verified. */
  async requestEmailVerification(user: User): Promise<boolean> {
    await this.limits.consume('emailMessagesPerAccount', user.id, accountOwner(this.em, user.id));
    return this.em.transactional(async (em) => {
      const current = await lockAccount(em, user.id);
      if (current.emailVerified) return false;
      await queueVerificationMail(em, this.mail, current, this.ttls);
      return true;
    });
  }

  async verifyEmail(token: string): Promise<User> {
    const userId = await this.em.transactional(async (em) => {
      const used = await consumeCode(em, token, 'email_verification');
      if (!used.ok) throw new AppError(Errors.tokenRejected(used.reason));
      const user = await em.findOneOrFail(
        User,
        { id: used.code.user.id },
        { lockMode: LockMode.PESSIMISTIC_WRITE },
      );
      // The code verifies the address it was sent to, and no other.
      if (used.code.email !== user.email) {
        throw new AppError(Errors.tokenRejected('TOKEN_INVALID'));
      }
      user.emailVerified = true;
      SecurityLog.add(em, user, 'EMAIL_VERIFIED', this.requester.client);
      await em.flush();
      return user.id;
    });
    return this.reload(userId);
  }

  /**
   * Always true, with the same work whether or not the address has an
   * account: the limits (per client address and per target address, the
   * same for both), then one job insert. The worker decides.
   */
  async requestPasswordReset(rawEmail: string): Promise<true> {
    const email = normaliseEmail(rawEmail);
    if (email.length > Limits.email || !isEmail(email)) {
      throw new AppError(Errors.invalidEmail('email'));
    }
    await this.limits.consume('passwordResetPerAddress', this.requester.ip);
    await this.limits.consume('passwordResetPerEmail', addressKey(email));
    await this.em.transactional(async (em) => {
      await this.jobs.send(em, PASSWORD_RESET_REQUEST_JOB, { email });
    });
    return true;
  }

  /**
   * Sets a new password through a reset link: every existing token is
   * revoked (a reset assumes compromise), the address counts as verified
   * (the link reached it), the password-attempt lock is cleared, outstanding
   * reset links die, a notice goes to the address; returns a fresh token.
   */
  async resetPassword(token: string, newPassword: string): Promise<IssuedToken> {
    const problems = passwordPolicyViolations('newPassword', newPassword);
    if (problems.length > 0) throw new AppError(Errors.passwordPolicy('newPassword', problems));
    const options = tokenOptions({}, this.tokenMaxDays);
    const issued = await this.em.transactional(async (em) => {
      const used = await consumeCode(em, token, 'password_reset');
      if (!used.ok) throw new AppError(Errors.tokenRejected(used.reason));
      const user = await em.findOneOrFail(
        User,
        { id: used.code.user.id },
        { lockMode: LockMode.PESSIMISTIC_WRITE, populate: ['passwordHash'] },
      );
      user.passwordHash = await this.hasher.hash(newPassword);
      if (used.code.email === user.email) user.emailVerified = true;
      await em.nativeUpdate(
        AccessToken,
        { user: user.id, revokedAt: null },
        { revokedAt: new Date() },
      );
      await supersedeCodes(em, user.id, ['password_reset']);
      const fresh = this.tokens.create(user, 'Password reset', options, em);
      SecurityLog.add(em, user, 'PASSWORD_RESET', this.requester.client, fresh.accessToken.id);
      await em.flush();
      await this.mail.enqueueMail(em, {
        template: 'password_reset_done',
        to: user.email,
        userId: user.id,
      });
      return { ...fresh, user };
    });
    await this.limits.reset('passwordAttempts', accountKey(issued.user.id, issued.user.email));
    return issued;
  }

  /**
   * Mails a confirmation link to the new address and a notice to the
   * current one. The password is checked under the per-account attempt limit.
   */
  async requestEmailChange(
    user: User,
    input: { newEmail: string; currentPassword: string },
  ): Promise<true> {
    await this.limits.consume(
      'passwordAttempts',
      accountKey(user.id, user.email),
      accountOwner(this.em, user.id),
    );
    await this.em.populate(user, ['passwordHash']);
    if (!(await this.hasher.verify(user.passwordHash, input.currentPassword))) {
      throw new AppError(Errors.wrongCurrentPassword());
    }
    await this.limits.reset('passwordAttempts', accountKey(user.id, user.email));
    const newEmail = normaliseEmail(input.newEmail);
    if (newEmail === user.email) throw new AppError(Errors.emailUnchanged());
    await this.limits.consume('emailMessagesPerAccount', user.id, accountOwner(this.em, user.id));
    if ((await this.em.count(User, { email: newEmail })) > 0) {
      throw new AppError(Errors.newEmailTaken());
    }
    await this.em.transactional(async (em) => {
      const current = await lockAccount(em, user.id);
      await queueLinkMail(em, this.mail, current.id, {
        purpose: 'email_change',
        address: newEmail,
        template: 'email_change_confirm',
        path: LINK_PATHS.confirmEmailChange,
        ttlSeconds: this.ttls.emailChange,
      });
      await this.mail.enqueueMail(em, {
        template: 'email_change_requested',
        to: current.email,
        userId: current.id,
        data: { newEmail },
      });
    });
    return true;
  }

  /**
   * Switches the address to the one the link was sent to (verified, since
   * the link reached it) and tells the old address. A taken address is
   * CONFLICT and nothing changes (the code stays usable). Outstanding
   * verification and reset links (sent to the old address) die.
   */
  async confirmEmailChange(token: string): Promise<User> {
    let userId: string;
    try {
      userId = await this.em.transactional(async (em) => {
        const used = await consumeCode(em, token, 'email_change');
        if (!used.ok) throw new AppError(Errors.tokenRejected(used.reason));
        const user = await em.findOneOrFail(
          User,
          { id: used.code.user.id },
          { lockMode: LockMode.PESSIMISTIC_WRITE },
        );
        const oldEmail = user.email;
        const newEmail = used.code.email!;
        user.email = newEmail;
        user.emailVerified = true;
        SecurityLog.add(em, user, 'EMAIL_CHANGED', this.requester.client);
        await em.flush();
        await supersedeCodes(em, user.id, ['email_verification', 'password_reset', 'email_change']);
        await this.mail.enqueueMail(em, {
          template: 'email_changed',
          to: oldEmail,
          userId: user.id,
          data: { newEmail },
        });
        return user.id;
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw new AppError(Errors.newEmailTaken());
      }
      throw error;
    }
    return this.reload(userId);
  }

  /** The user as committed, for the answer. */
  private async reload(userId: string): Promise<User> {
    return this.em.findOneOrFail(User, { id: userId }, { refresh: true });
  }
}
