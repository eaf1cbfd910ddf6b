/**
 * What a mailed link is: how long each kind lives, where it points, and the
 * two mails other flows queue (verification at sign-up, the reset link the
 * worker decides to send). Apart from the email-flow service so that the
 * account service (sign-up) and the service can both use them without
 * importing each other.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Mail } from '../../infra/mail/mail';
import type { MailTemplate } from '../../infra/mail/templates';
import { issueUserCode, type UserCodePurpose } from '../../users/one-time-codes';
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

/**
 * Issues a one-time code of `purpose` for `address` (superseding the
 * user's earlier one) and queues the mail carrying its link, both in the
 * caller's transaction; the mail is not worth delivering once the code expired.
 */
export async function queueLinkMail(
  em: EntityManager,
  mail: Mail,
  userId: string,
  link: {
    purpose: UserCodePurpose;
    address: string;
    template: MailTemplate;
    path: string;
    ttlSeconds: number;
  },
): Promise<void> {
  const code = await issueUserCode(em, userId, link.purpose, {
    ttlSeconds: link.ttlSeconds,
    email: link.address,
  });
  await mail.enqueueMail(em, {
    template: link.template,
    to: link.address,
    userId,
    link: { path: link.path, token: code },
    deliverWithinSeconds: link.ttlSeconds,
  });
}

/** Queues a verification mail for the user's current address (in the caller's transaction). */
export async function queueVerificationMail(
  em: EntityManager,
  mail: Mail,
  user: { id: string; email: string },
  ttls: CodeTtls,
): Promise<void> {
  await queueLinkMail(em, mail, user.id, {
    purpose: 'email_verification',
    address: user.email,
    template: 'verify_email',
    path: LINK_PATHS.verifyEmail,
    ttlSeconds: ttls.emailVerification,
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
    await queueLinkMail(tx, mail, user.id, {
      purpose: 'password_reset',
      address: user.email,
      template: 'password_reset',
      path: LINK_PATHS.resetPassword,
      ttlSeconds: ttls.passwordReset,
    });
  });
}
