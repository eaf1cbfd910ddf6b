import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, Errors, type PublicError } from '../common/errors';
import type { KeyOwner } from '../infra/rate-limits';
import { User } from './user.entity';

/**
 * The user's row, locked for update in `em`'s transaction: what serialises
 * everything done to one account (token issuing, onboarding, deletion). A
 * request authenticated just before its account was deleted finds no row
 * here; it is answered as the deleted account's token is from then on
 * (`gone`, UNAUTHENTICATED by default), not as an internal error.
 *
 * Lock order, for whoever takes more than one lock: this user's row first,
 * then organizations in id order, then their memberships.
 */
export async function lockAccount(
  em: EntityManager,
  userId: string,
  gone: () => PublicError = Errors.unauthenticated,
): Promise<User> {
  const user = await em.findOne(User, { id: userId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  if (!user) throw new AppError(gone());
  return user;
}

/** The user's row without a lock (a read-only transaction's first read); gone as above. */
export async function findAccount(em: EntityManager, userId: string): Promise<User> {
  const user = await em.findOne(User, { id: userId });
  if (!user) throw new AppError(Errors.unauthenticated());
  return user;
}

/**
 * The account as the owner of its rate-limit keys (`RateLimits.consume`):
 * it exists unless deleted, and a deletion in progress is waited for (a
 * share lock on its row, which the deletion holds for update).
 */
export function accountOwner(em: EntityManager, userId: string): KeyOwner {
  return {
    exists: () =>
      em.transactional(
        async (tx) =>
          (await tx.findOne(User, { id: userId }, { lockMode: LockMode.PESSIMISTIC_READ })) !==
          null,
      ),
    gone: Errors.unauthenticated,
  };
}
