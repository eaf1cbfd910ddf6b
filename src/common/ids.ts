import { randomBytes } from 'node:crypto';

/** The 62 characters of ids and tokens: digits, then upper and lower case letters. */
export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
// 248 = 62 * 4: bytes at or above it are discarded so every character is equally likely.
const UNBIASED_LIMIT = 248;

/** `length` characters of [0-9A-Za-z], uniformly random (about 5.95 bits each). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length + 8)) {
      if (byte < UNBIASED_LIMIT) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export type IdPrefix =
  'user' | 'tok' | 'key' | 'org' | 'inv' | 'mem' | 'act' | 'mail' | 'otc' | 'sev';

/** Public ids are opaque and prefixed by kind: `user_4Xk…` (22 chars ≈ 131 bits). */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBase62(22)}`;
}
