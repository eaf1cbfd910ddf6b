export interface Policy {
  /** Attempts allowed per window. */
  points: number;
  /** Window, in seconds. */
  duration: number;
  /** Once exceeded, refuse for this long (seconds); default: the rest of the window. */
  blockDuration?: number;
}

/**
 * Every throttle, kept in PostgreSQL so that it holds across instances. Each
 * attempt is counted atomically before the work it guards, so that racing
 * requests cannot slip past the limit together. RATE_LIMITS overrides them.
 */
export const POLICIES = {
  /** Password checks per account (sign-in and change password); cleared on success. */
  passwordAttempts: { points: 5, duration: 15 * 60, blockDuration: 15 * 60 },
  /** Sign-in attempts per client address (credential stuffing across accounts); successes are refunded. */
  signInPerAddress: { points: 30, duration: 15 * 60 },
  /** Requests with an invalid Bearer token per client address. */
  authFailuresPerAddress: { points: 60, duration: 60, blockDuration: 5 * 60 },
  /** Access tokens issued per account. */
  tokenCreation: { points: 20, duration: 60 * 60 },
  /** Accounts created per client address. */
  signUpPerAddress: { points: 20, duration: 60 * 60 },
  /** Data exports per account. */
  dataExport: { points: 10, duration: 60 * 60 },
  /** Account-deletion attempts per account. */
  accountDeletion: { points: 5, duration: 60 * 60 },
} satisfies Record<string, Policy>;

export type LimitName = keyof typeof POLICIES;

export const LIMIT_NAMES = Object.keys(POLICIES) as LimitName[];
