import { createHash, randomBytes } from 'node:crypto';

/**
 * The one-time code of an invitation's accept link: 256 random bits,
 * base64url (43 characters), stored only as its SHA-256 (unique, looked up
 * by index: no comparison of secrets to time). Single use, bound to the
 * invitation it was issued for, superseded by a resend, dead once the
 * invitation is answered or past its 14 days.
 */
export const INVITATION_TTL_MS = 14 * 24 * 60 * 60 * 1000;

const CODE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newInvitationCode(): { code: string; hash: string } {
  const code = randomBytes(32).toString('base64url');
  return { code, hash: hashInvitationCode(code) };
}

export function hashInvitationCode(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}

/** Worth a lookup: anything else is refused without a query. */
export function isWellFormedCode(code: string): boolean {
  return CODE_PATTERN.test(code);
}
