/**
 * What a mailed link is: how long each kind lives, where it points, and the
 * two mails other flows queue (verification at sign-up, the reset link the
 * worker decides to send). Apart from the email-flow service so that the
 * account service (sign-up) and the service can both use them without
 * importing each other.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Mail } from '../../infra/mail/mail';
import { issueUserCode } from '../../users/one-time-codes';
import { User } from '../../users/user.entity';

/** How long each kind of link lives (CODE_TTL_* in the configuration). */
export interface CodeTtls {
  emailVerification: number;
  passwordReset: number;
  emailChange: number;
}

/** Where each link points, under APP_URL. */
export const LINK_PATHS = {
  verifyEmail: '/verify-email',
  resetPassword: '/reset-password',
  confirmEmailChange: '/confirm-email-change',
} as const;

/** The job that decides, away from the request, whether a reset mail goes out. */
export const PASSWORD_RESET_REQUEST_JOB = 'password_reset_request';

/** Queues a verification mail for the user's current address (in the caller's transaction). */
export async function queueVerificationMail(
  em: EntityManager,
  mail: Mail,
  user: { id: string; email: string },
  ttls: CodeTtls,
): Promise<void> {
  const code = await issueUserCode(em, user.id, 'email_verification', {
    ttlSeconds: ttls.emailVerification,
    email: user.email,
  });
  await mail.enqueueMail(em, {
    template: 'verify_email',
    to: user.email,
    userId: user.id,
    link: { path: LINK_PATHS.verifyEmail, token: code },
    deliverWithinSeconds: ttls.emailVerification,
  });
}

/**
 * The `password_reset_request` job: an account with that address gets a
 * reset link; an unknown address gets nothing. Run in the worker so that the
 * request itself does the same work (one job insert) either way.
 */
export async function handlePasswordResetRequest(
  em: EntityManager,
  mail: Mail,
  ttls: CodeTtls,
  email: string,
): Promise<void> {
  await em.transactional(async (tx) => {
    const user = await tx.findOne(User, { email });
    if (!user) return;
    const code = await issueUserCode(tx, user.id, 'password_reset', {
      ttlSeconds: ttls.passwordReset,
      email: user.email,
    });
    await mail.enqueueMail(tx, {
      template: 'password_reset',
      to: user.email,
      userId: user.id,
      link: { path: LINK_PATHS.resetPassword, token: code },
      deliverWithinSeconds: ttls.passwordReset,
    });
  });
}
