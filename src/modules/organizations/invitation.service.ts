import { NO_CLIENT, type ClientInfo } from '../../auth/client';
import { SecurityLog } from '../../auth/security-log';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isEmail } from 'class-validator';
import { AppError, Errors } from '../../common/errors';
import type { LimitName } from '../../config';
import type { RateLimits } from '../../infra/rate-limits';
import { accountOwner } from '../../users/account-lock';
import { normaliseEmail } from '../../users/email';
import type { UserSnapshot } from '../../users/user-snapshot';
import type { User } from '../../users/user.entity';
import {
  hashInvitationCode,
  INVITATION_TTL_MS,
  isWellFormedCode,
  newInvitationCode,
} from './invitation-codes';
import { Invitation, Membership, type Organization, type Role } from './organization.entity';
import { currentMembership, lockActor, lockAsMember, lockOrganization } from './organization-locks';
import { Roles } from './roles';

/** At most this many addresses per invitation request (as onboarding). */
export const MAX_INVITES = 50;
/** viewer.invitations shows at most this many, newest first. */
export const MAX_RECEIVED = 100;
/**
 * At most this many pending, unexpired invitations per organization (every
 * path that invites: inviteMembers, onboarding). Counted under the
 * organization's row lock, which every invitation write holds, so racing
 * requests cannot pass it together. Ten full requests' worth: enough for a
 * team inviting everyone at once, small enough to bound what one organization
 * costs (its list, its mails).
 */
export const MAX_PENDING_INVITATIONS = 500;

/**
 * Sends an invitation's mail with its accept link, in the caller's
 * transaction (the outbox): the mail leaves only if the invitation commits.
 */
export interface InvitationMailer {
  queue(
    em: EntityManager,
    mail: { invitation: Invitation; organization: Organization; inviter: User; code: string },
  ): Promise<void>;
}

export interface InviteResult {
  invitations: Invitation[];
  /** Addresses skipped: already members, or invited and still pending. */
  skipped: string[];
}

/**
 * The invitation lifecycle: invite (owners and admins), revoke, resend;
 * accept or decline by the link's code or, signed in with the verified
 * invited address, by id. Every change holds the organization's row (see
 * organization-locks.ts): accept and revoke racing end with one of them.
 */
export class InvitationService {
  constructor(
    private readonly em: EntityManager,
    private readonly limits: RateLimits<LimitName>,
    private readonly mailer: InvitationMailer | undefined,
    /** Who asks, as the security log keeps it. */
    private readonly client: ClientInfo = NO_CLIENT,
  ) {}

  /** Valid, distinct (case-insensitively) addresses, without `own`; BAD_USER_INPUT names a bad one. */
  static addressList(emails: readonly string[], own: string, field: string): string[] {
    if (emails.length > MAX_INVITES) throw new AppError(Errors.tooManyInvites(field, MAX_INVITES));
    const distinct = new Set<string>();
    for (const raw of emails) {
      const email = normaliseEmail(raw);
      if (!isEmail(email)) throw new AppError(Errors.invalidInviteEmail(raw.trim(), field));
      if (email !== own) distinct.add(email);
    }
    return [...distinct];
  }

  /**
   * Counts one request that may create invitations against the account's
   * hourly limit (`invitations`), before any transaction: inviteMembers and
   * onboarding with addresses share it.
   */
  async countRequest(actorId: string): Promise<void> {
    // Owned by the account: a count made while it is being deleted leaves no row behind.
    await this.limits.consume('invitations', actorId, accountOwner(this.em, actorId));
  }

  async invite(
    actor: User,
    organizationId: string,
    emails: readonly string[],
    role: Role,
  ): Promise<InviteResult> {
    const addresses = InvitationService.addressList(emails, actor.email, 'emails');
    await this.countRequest(actor.id);
    return this.em.transactional(async (em) => {
      const {
        actor: inviter,
        organization,
        membership,
      } = await lockAsMember(em, organizationId, actor.id);
      if (!Roles.mayInvite(membership.role, role)) throw new AppError(Errors.roleForbids());
      return this.create(em, inviter, organization, addresses, role, 'pending');
    });
  }

  /**
   * Onboarding's invitations, in its transaction (the user's row is locked
   * already): an address invited before, in any status, is skipped, so that
   * completing onboarding again never invites anyone twice.
   */
  async inviteFromOnboarding(
    em: EntityManager,
    inviter: User,
    organization: Organization,
    addresses: string[],
  ): Promise<Invitation[]> {
    if (addresses.length === 0) return [];
    await lockOrganization(em, organization.id);
    // Onboarding's organization may since have been handed over and left.
    const membership = await currentMembership(em, organization.id, inviter.id);
    if (!membership || !Roles.manages(membership.role)) throw new AppError(Errors.roleForbids());
    return (await this.create(em, inviter, organization, addresses, 'member', 'any')).invitations;
  }

  async revoke(actor: User, invitationId: string): Promise<Invitation> {
    return this.manage(actor, invitationId, async (em, invitation) => {
      mustBeOpen(invitation);
      invitation.status = 'revoked';
      invitation.tokenHash = null;
      await em.flush();
      return invitation;
    });
  }

  /** A new code (the old link stops working) and 14 more days. */
  async resend(actor: User, invitationId: string): Promise<Invitation> {
    await this.limits.consume('invitationResend', invitationId);
    return this.manage(actor, invitationId, async (em, invitation, inviter) => {
      mustBeOpen(invitation);
      const { code, hash } = newInvitationCode();
      invitation.tokenHash = hash;
      invitation.expiresAt = new Date(Date.now() + INVITATION_TTL_MS);
      await em.flush();
      await this.mailer?.queue(em, {
        invitation,
        organization: invitation.organization,
        inviter,
        code,
      });
      return invitation;
    });
  }

  /** Accepts with the link's code: the signed-in user's verified address must be the invited one. */
  async acceptByCode(actor: User, code: string): Promise<Membership> {
    const found = await this.byCode(code);
    return this.em.transactional(async (em) => {
      const user = await lockActor(em, actor.id);
      const invitation = await this.lockInvitation(em, found);
      if (invitation.tokenHash !== hashInvitationCode(code)) {
        throw new AppError(Errors.invitationTokenInvalid());
      }
      this.mustBeInvitee(user, invitation);
      return this.accept(em, user, invitation);
    });
  }

  /** Accepts an invitation of viewer.invitations (no mail needed). */
  async acceptById(actor: User, invitationId: string): Promise<Membership> {
    return this.em.transactional(async (em) => {
      const user = await lockActor(em, actor.id);
      const invitation = await this.addressedTo(em, user, invitationId);
      return this.accept(em, user, invitation);
    });
  }

  /** Declines with the link's code: holding the code is enough (no account needed). */
  async declineByCode(code: string): Promise<Invitation> {
    const found = await this.byCode(code);
    return this.em.transactional(async (em) => {
      const invitation = await this.lockInvitation(em, found);
      if (invitation.tokenHash !== hashInvitationCode(code)) {
        throw new AppError(Errors.invitationTokenInvalid());
      }
      return this.decline(em, invitation);
    });
  }

  async declineById(actor: User, invitationId: string): Promise<Invitation> {
    return this.em.transactional(async (em) => {
      const user = await lockActor(em, actor.id);
      return this.decline(em, await this.addressedTo(em, user, invitationId));
    });
  }

  /** Pending, unexpired invitations to the viewer's address, once it is verified. */
  async received(viewer: Pick<UserSnapshot, 'email' | 'emailVerified'>): Promise<Invitation[]> {
    if (!viewer.emailVerified) return [];
    return this.em.find(
      Invitation,
      { email: viewer.email, status: 'pending', expiresAt: { $gt: new Date() } },
      {
        populate: ['organization', 'invitedBy'],
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        limit: MAX_RECEIVED,
      },
    );
  }

  private async create(
    em: EntityManager,
    inviter: User,
    organization: Organization,
    addresses: string[],
    role: Role,
    skip: 'pending' | 'any',
  ): Promise<InviteResult> {
    if (addresses.length === 0) return { invitations: [], skipped: [] };
    const now = new Date();
    const members = await em.find(
      Membership,
      { organization, user: { email: { $in: addresses } } },
      { populate: ['user'] },
    );
    const existing = await em.find(
      Invitation,
      {
        organization,
        email: { $in: addresses },
        ...(skip === 'pending' ? { status: 'pending' } : {}),
      },
      { refresh: true },
    );
    const skipped = new Set(members.map((member) => member.user.email));
    for (const invitation of existing) {
      if (skip === 'any' || invitation.expiresAt > now) skipped.add(invitation.email);
      // A pending invitation past its expiry makes way for the new one.
      else invitation.status = 'expired';
    }
    await em.flush();
    const fresh = addresses.filter((address) => !skipped.has(address));
    if (fresh.length > 0) {
      // Under the organization's lock (the caller holds it): no other invitation is being written.
      const pending = await em.count(Invitation, {
        organization,
        status: 'pending',
        expiresAt: { $gt: now },
      });
      if (pending + fresh.length > MAX_PENDING_INVITATIONS) {
        throw new AppError(
          Errors.pendingInvitationsLimit(MAX_PENDING_INVITATIONS, pending, fresh.length),
        );
      }
    }
    const invitations: Invitation[] = [];
    const codes = new Map<Invitation, string>();
    for (const email of fresh) {
      const { code, hash } = newInvitationCode();
      const invitation = em.create(Invitation, {
        organization,
        email,
        invitedBy: inviter,
        role,
        status: 'pending',
        tokenHash: hash,
        expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
      });
      invitations.push(invitation);
      codes.set(invitation, code);
    }
    await em.flush();
    for (const invitation of invitations) {
      await this.mailer?.queue(em, {
        invitation,
        organization,
        inviter,
        code: codes.get(invitation) ?? '',
      });
    }
    return { invitations, skipped: [...skipped] };
  }

  /** Revoke and resend: owners and admins of its organization; admins not for an owner's. */
  private async manage(
    actor: User,
    invitationId: string,
    change: (em: EntityManager, invitation: Invitation, inviter: User) => Promise<Invitation>,
  ): Promise<Invitation> {
    const found = await this.em
      .fork()
      .findOne(Invitation, { id: invitationId }, { fields: ['organization'] });
    if (!found) throw new AppError(Errors.notFound('Invitation'));
    return this.em.transactional(async (em) => {
      const { actor: inviter, membership } = await lockAsMember(
        em,
        found.organization.id,
        actor.id,
        'Invitation',
      );
      if (!Roles.manages(membership.role)) throw new AppError(Errors.roleForbids());
      const invitation = await this.fresh(em, invitationId);
      if (!Roles.mayInvite(membership.role, invitation.role)) {
        throw new AppError(Errors.roleForbids());
      }
      return change(em, invitation, inviter);
    });
  }

  private async byCode(code: string): Promise<InvitationRef> {
    const found =
      isWellFormedCode(code) &&
      (await this.em
        .fork()
        .findOne(
          Invitation,
          { tokenHash: hashInvitationCode(code) },
          { fields: ['organization'] },
        ));
    if (!found) throw new AppError(Errors.invitationTokenInvalid());
    return found;
  }

  /** The organization's row locked, then the invitation read again under it. */
  private async lockInvitation(em: EntityManager, found: InvitationRef): Promise<Invitation> {
    await lockOrganization(em, found.organization.id);
    return this.fresh(em, found.id);
  }

  private async fresh(em: EntityManager, invitationId: string): Promise<Invitation> {
    const invitation = await em.findOne(
      Invitation,
      { id: invitationId },
      { refresh: true, populate: ['organization', 'invitedBy'] },
    );
    if (!invitation) throw new AppError(Errors.notFound('Invitation'));
    return invitation;
  }

  /**
   * By id, only the invitee sees an invitation: one to another address is
   * NOT_FOUND (no existence leak); to theirs, unverified, FORBIDDEN.
   */
  private async addressedTo(
    em: EntityManager,
    user: User,
    invitationId: string,
  ): Promise<Invitation> {
    const found = await em.findOne(
      Invitation,
      { id: invitationId, email: user.email },
      { fields: ['organization'] },
    );
    if (!found) throw new AppError(Errors.notFound('Invitation'));
    if (!user.emailVerified) throw new AppError(Errors.emailNotVerified());
    return this.lockInvitation(em, found);
  }

  private mustBeInvitee(user: User, invitation: Invitation): void {
    if (!user.emailVerified) throw new AppError(Errors.emailNotVerified());
    if (user.email !== invitation.email) throw new AppError(Errors.invitationForAnotherEmail());
  }

  private async accept(em: EntityManager, user: User, invitation: Invitation): Promise<Membership> {
    const existing = await currentMembership(em, invitation.organization.id, user.id);
    if (invitation.status === 'accepted' && existing) return existing; // accepting twice: one membership
    mustBePending(invitation);
    // The code stays with the answer: using it again answers the same, changing nothing.
    invitation.status = 'accepted';
    const membership =
      existing ??
      em.create(Membership, { organization: invitation.organization, user, role: invitation.role });
    if (!existing) {
      SecurityLog.add(
        em,
        user,
        'ORGANIZATION_MEMBERSHIP_ADDED',
        this.client,
        invitation.organization.id,
      );
    }
    await em.flush();
    return membership;
  }

  private async decline(em: EntityManager, invitation: Invitation): Promise<Invitation> {
    if (invitation.status === 'declined') return invitation;
    mustBePending(invitation);
    invitation.status = 'declined';
    await em.flush();
    return invitation;
  }
}

/** Which invitation, and of which organization: what is read before any lock. */
interface InvitationRef {
  id: string;
  organization: { id: string };
}

/** Not answered yet (revoke and resend also take one past its expiry). */
function mustBeOpen(invitation: Invitation): void {
  if (invitation.status === 'pending') return;
  throw new AppError(
    invitation.status === 'expired'
      ? Errors.invitationExpired()
      : Errors.invitationAnswered(invitation.status),
  );
}

/** Can be answered now: not answered, not past its expiry. */
function mustBePending(invitation: Invitation): void {
  mustBeOpen(invitation);
  if (invitation.expiresAt <= new Date()) throw new AppError(Errors.invitationExpired());
}
