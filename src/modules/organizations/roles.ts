import type { Role } from './organization.entity';

/**
 * Who may do what in an organization: owner > admin > member. Owners do
 * anything; admins manage members and admins (never an owner, and never make
 * one); members manage nobody. That an organization keeps an owner is
 * checked apart (it depends on how many there are, not on who asks).
 */
export const Roles = {
  /** Sees the invitations, invites, revokes and resends. */
  manages: (actor: Role): boolean => actor === 'owner' || actor === 'admin',

  /** May invite someone with `role`, or revoke or resend an invitation for it. */
  mayInvite: (actor: Role, role: Role): boolean =>
    actor === 'owner' || (actor === 'admin' && role !== 'owner'),

  /** May change a member who has `from` to `to`. */
  mayChangeRole: (actor: Role, from: Role, to: Role): boolean =>
    actor === 'owner' || (actor === 'admin' && from !== 'owner' && to !== 'owner'),

  /** May remove a member who has `role`. */
  mayRemove: (actor: Role, role: Role): boolean =>
    actor === 'owner' || (actor === 'admin' && role !== 'owner'),

  /** May hand the organization over. */
  mayTransfer: (actor: Role): boolean => actor === 'owner',
} as const;
