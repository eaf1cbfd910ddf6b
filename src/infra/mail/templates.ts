/**
 * The texts of every message, by template name. Each has a plain-text part;
 * a link (with its one-time code) is filled in at delivery, from the sealed
 * code in the outbox row. Data values are short, non-secret strings.
 */
export const MAIL_TEMPLATES = [
  'verify_email',
  'password_reset',
  'password_reset_done',
  'password_changed',
  'email_change_confirm',
  'email_change_requested',
  'email_changed',
  'invitation',
  'test',
] as const;

export type MailTemplate = (typeof MAIL_TEMPLATES)[number];

export interface RenderedMail {
  subject: string;
  text: string;
}

export interface RenderContext {
  appName: string;
  /** The full link, when the message carries one. */
  link: string | undefined;
  data: Readonly<Record<string, string>>;
}

const IGNORE = 'If this was not you, you can ignore this message.';
const ALARM =
  'If this was not you, reset your password at once and contact support: someone may have access to your account.';

export function renderMail(template: MailTemplate, ctx: RenderContext): RenderedMail {
  const { appName, link = '', data } = ctx;
  switch (template) {
    case 'verify_email':
      return {
        subject: `Verify your email address for ${appName}`,
        text: `Confirm that this address belongs to your ${appName} account:\n\n${link}\n\nThe link works once and expires in 24 hours. ${IGNORE}\n`,
      };
    case 'password_reset':
      return {
        subject: `Reset your ${appName} password`,
        text: `Someone asked to reset the password of your ${appName} account. To choose a new password, open:\n\n${link}\n\nThe link works once and expires in 1 hour. ${IGNORE}\n`,
      };
    case 'password_reset_done':
      return {
        subject: `Your ${appName} password was reset`,
        text: `The password of your ${appName} account was reset, and every session was signed out.\n\n${ALARM}\n`,
      };
    case 'password_changed':
      return {
        subject: `Your ${appName} password was changed`,
        text: `The password of your ${appName} account was just changed.\n\n${ALARM}\n`,
      };
    case 'email_change_confirm':
      return {
        subject: `Confirm your new email address for ${appName}`,
        text: `To make this the address of your ${appName} account, open:\n\n${link}\n\nThe link works once and expires in 24 hours. ${IGNORE}\n`,
      };
    case 'email_change_requested':
      return {
        subject: `A change of your ${appName} email address was requested`,
        text: `Someone asked to change the email address of your ${appName} account to ${data['newEmail'] ?? 'a new address'}. Nothing changes until the new address is confirmed.\n\n${ALARM}\n`,
      };
    case 'email_changed':
      return {
        subject: `Your ${appName} email address was changed`,
        text: `The email address of your ${appName} account was changed to ${data['newEmail'] ?? 'a new address'}. Messages now go there.\n\n${ALARM}\n`,
      };
    case 'invitation':
      return {
        subject: `You are invited to ${data['organizationName'] ?? 'an organization'} on ${appName}`,
        text: `${data['inviterName'] ?? 'Someone'} invited you to join ${data['organizationName'] ?? 'an organization'} on ${appName}. To answer, open:\n\n${link}\n\nThe invitation expires in 14 days. ${IGNORE}\n`,
      };
    case 'test':
      return {
        subject: `Test message ${data['n'] ?? ''} from ${appName}`.trim(),
        text: `Test message ${data['n'] ?? ''}.\n${link}\n`,
      };
  }
}
