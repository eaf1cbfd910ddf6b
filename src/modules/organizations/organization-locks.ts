import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, Errors } from '../../common/errors';
import { User } from '../../users/user.entity';
import { Membership, Organization } from './organization.entity';

/**
 * The lock order of every write to an organization, the same as account
 * deletion's: the acting user's row first (FOR SHARE here: it only has to
 * stay; deletion takes it FOR UPDATE), then the organization's row (FOR
 * UPDATE), and only then the roles are read. Every change to memberships and
 * invitations holds the organization's row, so roles read after it are the
 * ones that stay until commit: two role changes, an accept and a revoke, a
 * leave and a transfer run one after the other, never interleaved.
 */
export async function lockActor(em: EntityManager, userId: string): Promise<User> {
  const user = await em.findOne(
    User,
    { id: userId },
    { lockMode: LockMode.PESSIMISTIC_READ, refresh: true },
  );
  if (!user) throw new AppError(Errors.unauthenticated());
  return user;
}

/** Locks the organization's row; NOT_FOUND if it is gone. */
export async function lockOrganization(
  em: EntityManager,
  organizationId: string,
): Promise<Organization> {
  const organization = await em.findOne(
    Organization,
    { id: organizationId },
    { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
  );
  if (!organization) throw new AppError(Errors.notFound('Organization'));
  return organization;
}

/** A user's membership as it is now (under the organization's lock), or null. */
export function currentMembership(
  em: EntityManager,
  organizationId: string,
  userId: string,
): Promise<Membership | null> {
  return em.findOne(
    Membership,
    { organization: organizationId, user: userId },
    { refresh: true, populate: ['user'] },
  );
}

/**
 * Locks the actor and the organization and returns the actor's membership.
 * Someone outside the organization learns nothing of it: NOT_FOUND, as for
 * an organization that does not exist.
 */
export async function lockAsMember(
  em: EntityManager,
  organizationId: string,
  actorId: string,
  notFound: Parameters<typeof Errors.notFound>[0] = 'Organization',
): Promise<{ actor: User; organization: Organization; membership: Membership }> {
  const actor = await lockActor(em, actorId);
  const organization = await em.findOne(
    Organization,
    { id: organizationId },
    { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
  );
  const membership = organization && (await currentMembership(em, organizationId, actorId));
  if (!organization || !membership) throw new AppError(Errors.notFound(notFound));
  return { actor, organization, membership };
}

export function ownerCount(em: EntityManager, organizationId: string): Promise<number> {
  return em.count(Membership, { organization: organizationId, role: 'owner' });
}
