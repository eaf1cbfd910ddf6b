import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, Errors } from '../../common/errors';
import { accountOwner, lockAccount } from '../../users/account-lock';
import { normaliseEmail } from '../../users/email';
import { accountKey } from './account.service';
import type { LimitName } from '../../config';
import { RateLimit } from '../../infra/rate-limit.entity';
import type { Mail } from '../../infra/mail/mail';
import type { RateLimits } from '../../infra/rate-limits';
import { Invitation, Membership, Organization } from '../organizations/organization.entity';
import { User } from '../../users/user.entity';

export const ACCOUNT_DELETED = 'Account deleted';

/**
 * Deletes an account and everything that belongs to it in one transaction.
 * Rows owned by the user go through ON DELETE CASCADE in the database
 * (tokens, provider keys, onboarding, memberships, activity); references
 * that belong to others (invitations sent, organizations created) are set
 * null. Organizations left without members are deleted; a sole owner's
 * organization passes to its longest-standing remaining member.
 */
export class AccountDeletionService {
  constructor(
    private readonly em: EntityManager,
    private readonly limits: RateLimits<LimitName>,
    private readonly mail: Mail,
  ) {}

  async delete(user: User, confirmEmail: string): Promise<string> {
    await this.limits.consume('accountDeletion', user.id, accountOwner(this.em, user.id));
    if (normaliseEmail(confirmEmail) !== user.email) {
      throw new AppError(Errors.confirmEmailMismatch());
    }
    const userId = user.id;
    await this.em.transactional(async (em) => {
      // Serialises with anything else that locks this user (token creation,
      // onboarding, a second deletion, which then finds no account). Holding
      // it, no membership of this user can be added (its foreign key needs
      // the row), so the organizations read next are all there are.
      await lockAccount(em, userId);
      const organizationIds = (
        await em.find(Membership, { user: userId }, { fields: ['organization'] })
      ).map((membership) => membership.organization.id);
      if (organizationIds.length > 0) {
        // Locked in id order, before any role is read: two members leaving at
        // once cannot deadlock, and the second reads the roles as the first
        // left them (the owner it handed the organization to).
        await em.find(
          Organization,
          { id: { $in: organizationIds } },
          { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } },
        );
      }
      const mine = await em.find(
        Membership,
        { user: userId },
        { orderBy: { organization: 'asc' }, refresh: true },
      );
      for (const membership of mine) await this.leave(em, membership);
      // Its messages, delivered or not (their jobs cancelled): addresses are personal data.
      await this.mail.dropForUser(em, userId);
      // Invitations to this address that nobody answered go with it (answered ones are
      // the organizations' history; the address in them is what their inviter typed).
      await em.nativeDelete(Invitation, { email: user.email, status: 'pending' });
      await em.nativeDelete(User, { id: userId });
      // Its rate-limit counters, by id and by email: no row of it is left.
      const keys = this.limits.storedKeys([userId, accountKey(undefined, user.email)]);
      await em.nativeDelete(RateLimit, { key: { $in: keys } });
    });
    this.em.clear();
    return userId;
  }

  private async leave(em: EntityManager, membership: Membership): Promise<void> {
    const organization = membership.organization.id;
    const others = await em.find(
      Membership,
      { organization, user: { $ne: membership.user.id } },
      { orderBy: { createdAt: 'asc', id: 'asc' }, refresh: true },
    );
    const [longestStanding] = others;
    if (!longestStanding) {
      await em.nativeDelete(Organization, { id: organization });
    } else if (membership.role === 'owner' && !others.some((other) => other.role === 'owner')) {
      await em.nativeUpdate(
        Membership,
        { id: longestStanding.id },
        { role: 'owner', updatedAt: new Date() },
      );
    }
  }
}
