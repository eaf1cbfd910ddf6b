/**
 * The two ways a message leaves: SMTP through nodemailer (the library made
 * for it, by the authors of the smtp-server the tests run), or one log line
 * (development, or an operator's explicit MAIL_TRANSPORT=log).
 */
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { Logger } from '../logger';
import type { MailSettings } from './settings';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string | undefined;
  /** `<outboxId@host>`: stable per message, so a retry is the same message. */
  messageId: string;
  /** The link the message carries (only the development log line shows it). */
  link?: string | undefined;
}

export interface MailTransport {
  readonly kind: 'smtp' | 'log';
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/** The SMTP server refused the message for good (5xx on the recipient or the data): no retry. */
export class PermanentMailError extends Error {
  override name = 'PermanentMailError';
}

/** A failure worth another attempt (refused connection, timeout, 4xx, authentication). */
export class TransientMailError extends Error {
  override name = 'TransientMailError';
}

/**
 * nodemailer's error as one of the two kinds, described by its code, the
 * SMTP command and reply code only: the server's reply text and nodemailer's
 * message can echo the recipient's address.
 */
export function classify(error: unknown): PermanentMailError | TransientMailError {
  const e = (error ?? {}) as { code?: unknown; responseCode?: unknown; command?: unknown };
  const code = typeof e.code === 'string' ? e.code : 'error';
  const reply = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const command = typeof e.command === 'string' ? e.command.split(' ')[0] : undefined;
  const description = ['SMTP', code, command, reply].filter((p) => p !== undefined).join(' ');
  if ((code === 'EENVELOPE' || code === 'EMESSAGE') && reply !== undefined && reply >= 500) {
    return new PermanentMailError(description);
  }
  return new TransientMailError(description);
}

export function createMailTransport(settings: MailSettings, logger: Logger): MailTransport {
  const log = logger.child({ component: 'mail' });
  if (settings.transport === 'log') {
    return {
      kind: 'log',
      send(mail) {
        // One line per message. Outside production it carries the live link
        // (and so its one-time code): that is its purpose, and it says so.
        if (settings.logLinks) {
          log.info(
            {
              mail: {
                to: mail.to,
                subject: mail.subject,
                link: mail.link,
                messageId: mail.messageId,
              },
            },
            'mail not sent (log transport); development log line with the live link',
          );
        } else {
          log.info(
            { mail: { subject: mail.subject, messageId: mail.messageId } },
            'mail not sent (MAIL_TRANSPORT=log)',
          );
        }
        return Promise.resolve();
      },
      close() {},
    };
  }
  const transporter = nodemailer.createTransport(
    {
      url: settings.smtpUrl,
      connectionTimeout: settings.timeouts.connectionMs,
      greetingTimeout: settings.timeouts.greetingMs,
      socketTimeout: settings.timeouts.socketMs,
      dnsTimeout: settings.timeouts.connectionMs,
      logger: false,
      debug: false,
    } satisfies SMTPTransport.Options,
    { from: settings.from },
  );
  return {
    kind: 'smtp',
    async send(mail) {
      try {
        await transporter.sendMail({
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          ...(mail.html ? { html: mail.html } : {}),
          messageId: mail.messageId,
        });
      } catch (error) {
        throw classify(error);
      }
    },
    close() {
      transporter.close();
    },
  };
}
