/** How mail leaves this process (parsed from the environment by src/config.ts). */
export interface MailSettings {
  /**
   * `smtp`: nodemailer to SMTP_URL. `log`: one log line per message, nothing
   * sent (the default outside production without SMTP_URL; production only
   * with MAIL_TRANSPORT=log said explicitly).
   */
  transport: 'smtp' | 'log';
  /** `smtp://user:pass@host:587` or `smtps://…:465`; absent with the log transport. */
  smtpUrl: string | undefined;
  /** The From header: `"Name" <address>`. */
  from: string;
  /** Base of links in messages, without a trailing slash; its host is the Message-ID's right side. */
  appUrl: string;
  /** In subjects and bodies. */
  appName: string;
  /**
   * The log transport writes the message's link (with its one-time code)
   * into its log line: only outside production, so that the flows can be
   * tried with `npm start` alone.
   */
  logLinks: boolean;
  /** Bounded SMTP: a hung server costs at most these. */
  timeouts: { connectionMs: number; greetingMs: number; socketMs: number };
  /** Delivery attempts per message, then `failed`. */
  maxAttempts: number;
  /** First retry delay; doubles each attempt, at most an hour. */
  retryDelaySeconds: number;
}

export const MAIL_DEFAULTS = {
  appUrl: 'http://localhost:4000',
  appName: 'Account',
  maxAttempts: 10,
  retryDelaySeconds: 5,
  connectionTimeoutMs: 5_000,
  greetingTimeoutMs: 5_000,
  socketTimeoutMs: 15_000,
} as const;

/**
 * The three SMTP timeouts together: a delivery holds its outbox row locked
 * in an open transaction that long, and the database ends transactions idle
 * for 30 s (src/infra/db/orm-config.ts).
 */
export const SMTP_TIMEOUTS_MAX_TOTAL_MS = 27_000;
