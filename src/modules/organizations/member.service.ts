import { NO_CLIENT, type ClientInfo } from '../../auth/client';
import { SecurityLog } from '../../auth/security-log';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, Errors } from '../../common/errors';
import type { User } from '../../users/user.entity';
import { Membership, type Organization, type Role } from './organization.entity';
import { lockAsMember, ownerCount } from './organization-locks';
import { Roles } from './roles';

/** A membership after a change, with the organization and the actor's role in it now. */
export interface MemberChange {
  membership: Membership;
  organization: Organization;
  /** The actor's role after the change (theirs may have changed too). */
  actorRole: Role;
}

/**
 * Members and roles: each change in one transaction that holds the
 * organization's row (see organization-locks.ts), so the rules below are
 * checked against the roles that stay until commit. Ids of another
 * organization's memberships are NOT_FOUND, whatever the actor's role.
 */
export class MemberService {
  constructor(
    private readonly em: EntityManager,
    /** Who asks, as the security log keeps it. */
    private readonly client: ClientInfo,
  ) {}

  /**
   * A membership change in the security log of the member it changed, in
   * the change's transaction. Where the actor changed someone else's
   * membership, the actor's address and user agent stay out of that log.
   */
  private log(
    em: EntityManager,
    actor: User,
    member: User,
    type: 'ORGANIZATION_MEMBERSHIP_CHANGED' | 'ORGANIZATION_MEMBERSHIP_REMOVED',
    organizationId: string,
  ): void {
    const client = member.id === actor.id ? this.client : NO_CLIENT;
    SecurityLog.add(em, member, type, client, organizationId);
  }

  async updateRole(actor: User, membershipId: string, role: Role): Promise<MemberChange> {
    return this.onMembership(actor, membershipId, async (em, ctx) => {
      const { target, mine } = ctx;
      if (!Roles.mayChangeRole(mine.role, target.role, role)) {
        throw new AppError(Errors.roleForbids());
      }
      if (target.role === 'owner' && role !== 'owner') {
        await this.keepsAnOwner(em, target);
      }
      target.role = role;
      this.log(em, actor, target.user, 'ORGANIZATION_MEMBERSHIP_CHANGED', target.organization.id);
      await em.flush();
      return target;
    });
  }

  async remove(actor: User, membershipId: string): Promise<MemberChange> {
    return this.onMembership(actor, membershipId, async (em, { target, mine }) => {
      if (!Roles.mayRemove(mine.role, target.role)) throw new AppError(Errors.roleForbids());
      if (target.role === 'owner') await this.keepsAnOwner(em, target);
      await em.nativeDelete(Membership, { id: target.id });
      this.log(em, actor, target.user, 'ORGANIZATION_MEMBERSHIP_REMOVED', target.organization.id);
      return target;
    });
  }

  /** The viewer leaves; the last owner cannot (CONFLICT: transfer first). */
  async leave(actor: User, organizationId: string): Promise<Membership> {
    return this.em.transactional(async (em) => {
      const { membership } = await lockAsMember(em, organizationId, actor.id);
      if (membership.role === 'owner') await this.keepsAnOwner(em, membership);
      await em.nativeDelete(Membership, { id: membership.id });
      this.log(em, actor, actor, 'ORGANIZATION_MEMBERSHIP_REMOVED', organizationId);
      return membership;
    });
  }

  /** An owner makes another member an owner and becomes an admin. */
  async transferOwnership(
    actor: User,
    organizationId: string,
    membershipId: string,
  ): Promise<MemberChange> {
    return this.em.transactional(async (em) => {
      const { organization, membership: mine } = await lockAsMember(em, organizationId, actor.id);
      const target = await this.memberOf(em, organizationId, membershipId);
      if (!Roles.mayTransfer(mine.role)) throw new AppError(Errors.roleForbids());
      if (target.id === mine.id) throw new AppError(Errors.transferToSelf());
      target.role = 'owner';
      mine.role = 'admin';
      this.log(em, actor, target.user, 'ORGANIZATION_MEMBERSHIP_CHANGED', organizationId);
      this.log(em, actor, actor, 'ORGANIZATION_MEMBERSHIP_CHANGED', organizationId);
      await em.flush();
      return { membership: target, organization, actorRole: mine.role };
    });
  }

  private async onMembership(
    actor: User,
    membershipId: string,
    change: (
      em: EntityManager,
      ctx: { target: Membership; mine: Membership },
    ) => Promise<Membership>,
  ): Promise<MemberChange> {
    // Which organization: read before any lock, then everything again under it.
    const found = await this.em
      .fork()
      .findOne(Membership, { id: membershipId }, { fields: ['organization'] });
    if (!found) throw new AppError(Errors.notFound('Member'));
    const organizationId = found.organization.id;
    return this.em.transactional(async (em) => {
      const { organization, membership: mine } = await lockAsMember(
        em,
        organizationId,
        actor.id,
        'Member',
      );
      const target = await this.memberOf(em, organizationId, membershipId);
      const membership = await change(em, { target, mine });
      // The actor may be the target (an admin stepping down, an owner leaving a role).
      return { membership, organization, actorRole: mine.role };
    });
  }

  /** The membership, if it is still in this organization (under its lock). */
  private async memberOf(
    em: EntityManager,
    organizationId: string,
    membershipId: string,
  ): Promise<Membership> {
    const target = await em.findOne(
      Membership,
      { id: membershipId, organization: organizationId },
      { refresh: true, populate: ['user'] },
    );
    if (!target) throw new AppError(Errors.notFound('Member'));
    return target;
  }

  /** CONFLICT if `leaving` is the organization's only owner. */
  private async keepsAnOwner(em: EntityManager, leaving: Membership): Promise<void> {
    if ((await ownerCount(em, leaving.organization.id)) <= 1) {
      throw new AppError(Errors.lastOwner());
    }
  }
}
