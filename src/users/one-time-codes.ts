/**
 * One-time codes for links (verification, reset, email change). Every statement runs on the caller's transaction.
 *
 * - issue: the user's row is locked first, so that concurrent requests for
 *   the same user serialise instead of one failing on the live-code index;
 *   then the previous live code of that purpose is superseded, then the new
 *   one inserted (two statements: as one, the insert would still see the old
 *   row live).
 * - consume: one conditional UPDATE is the only gate (racing consumers: one
 *   wins, the others find it used). When it matches nothing, a second read
 *   (a new snapshot) says why; used, superseded and expired never revert.
 */
import { createHash, randomBytes } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { newId } from '../common/ids';
import { OneTimeCode, type CodePurpose } from './one-time-code.entity';
import { User } from './user.entity';

export type UserCodePurpose = CodePurpose;

export type CodeRejection = 'TOKEN_INVALID' | 'TOKEN_EXPIRED' | 'TOKEN_USED';

export type ConsumedCode = { ok: true; code: OneTimeCode } | { ok: false; reason: CodeRejection };

/** 32 random bytes as base64url: 43 characters. */
const CODE_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function hashCode(code: string): Buffer {
  return createHash('sha256').update(code, 'utf8').digest();
}

/** A new code and its hash (256 bits of randomness). */
export function newCode(): { code: string; hash: Buffer } {
  const code = randomBytes(32).toString('base64url');
  return { code, hash: hashCode(code) };
}

/**
 * Issues a code for `userId` in the caller's transaction, superseding the
 * live one of the same purpose; returns the code (to be mailed, never stored).
 */
export async function issueUserCode(
  em: EntityManager,
  userId: string,
  purpose: UserCodePurpose,
  options: { ttlSeconds: number; email: string },
): Promise<string> {
  await em.findOneOrFail(User, { id: userId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  await supersedeCodes(em, userId, [purpose]);
  const { code, hash } = newCode();
  const now = new Date();
  await em.insert(OneTimeCode, {
    id: newId('otc'),
    purpose,
    user: userId,
    codeHash: hash,
    email: options.email,
    createdAt: now,
    expiresAt: new Date(now.getTime() + options.ttlSeconds * 1000),
  });
  return code;
}

/** Kills the user's live codes of these purposes (a password change kills reset links). */
export async function supersedeCodes(
  em: EntityManager,
  userId: string,
  purposes: readonly UserCodePurpose[],
): Promise<void> {
  await em.nativeUpdate(
    OneTimeCode,
    { user: userId, purpose: { $in: [...purposes] }, usedAt: null, supersededAt: null },
    { supersededAt: new Date() },
  );
}

/**
 * Uses a code of `purpose` in the caller's transaction. If the transaction
 * rolls back, the code stays usable.
 */
export async function consumeCode(
  em: EntityManager,
  code: string,
  purpose: CodePurpose,
): Promise<ConsumedCode> {
  if (!CODE_SHAPE.test(code)) return { ok: false, reason: 'TOKEN_INVALID' };
  const codeHash = hashCode(code);
  const now = new Date();
  const won = await em.nativeUpdate(
    OneTimeCode,
    { codeHash, purpose, usedAt: null, supersededAt: null, expiresAt: { $gt: now } },
    { usedAt: now },
  );
  // A new read after the update: under READ COMMITTED, a fresh snapshot.
  const row = await em.findOne(
    OneTimeCode,
    { codeHash, purpose },
    { refresh: true, disableIdentityMap: true },
  );
  if (won === 1 && row) return { ok: true, code: row };
  if (!row) return { ok: false, reason: 'TOKEN_INVALID' };
  if (row.usedAt) return { ok: false, reason: 'TOKEN_USED' };
  // Superseded: a newer link was sent; this one is simply not valid any more.
  if (row.supersededAt) return { ok: false, reason: 'TOKEN_INVALID' };
  return { ok: false, reason: 'TOKEN_EXPIRED' };
}
