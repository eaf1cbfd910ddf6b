import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import type { CursorKey, Cursors } from '../../common/cursor';
import { AppError, Errors } from '../../common/errors';
import type { Page } from '../../graphql/connections';
import type { InvitationPages, InvitationRow } from './invitation-pages';
import type { MemberPages, MemberRow } from './member-pages';
import { Invitation, Membership, type Role } from './organization.entity';
import { Roles } from './roles';

/** Page sizes of the organization's lists. */
export const PAGE = { default: 20, max: 100 } as const;

export interface PageRequest {
  first?: number | null | undefined;
  after?: string | null | undefined;
}

const MEMBERSHIP_ID = /^mem_[0-9A-Za-z]{22}$/;
const INVITATION_ID = /^inv_[0-9A-Za-z]{22}$/;

/**
 * The read side of organizations: members and invitations as cursor pages,
 * in (joined / sent time, id) order, read by keyset on the indexes
 * (organization, created_at, id), so the thousandth page costs what the
 * first does. Only members reach an organization (its type comes from the
 * viewer's memberships or a member's mutation), and only owners and admins
 * see its invitations.
 */
export class OrganizationService {
  /** Batched per request: one query for all organizations in a response. */
  private readonly memberCounts: DataLoader<string, number>;

  constructor(
    private readonly em: EntityManager,
    private readonly cursors: Cursors,
    private readonly memberPages: MemberPages,
    private readonly invitationPages: InvitationPages,
  ) {
    // Counted on the (organization, created_at, id) index, one organization at a time:
    // an index-only count, whatever the other organizations hold.
    this.memberCounts = new DataLoader(async (ids) => {
      const counts: number[] = [];
      for (const id of ids) counts.push(await this.em.count(Membership, { organization: id }));
      return counts;
    });
  }

  memberCount(organizationId: string): Promise<number> {
    return this.memberCounts.load(organizationId);
  }

  /** A page of the organization's members, oldest first, each with their user (plain rows). */
  async members(organizationId: string, page: PageRequest): Promise<Page<MemberRow>> {
    const { first, after } = this.pageArgs(page, 'members', organizationId, MEMBERSHIP_ID);
    const rows = await this.memberPages.read(organizationId, first + 1, after);
    return this.page(rows, first, 'members', organizationId, () =>
      this.memberCount(organizationId),
    );
  }

  /** A page of the organization's invitations, oldest first (plain rows); empty unless the viewer manages it. */
  async invitations(
    organizationId: string,
    viewerRole: Role,
    page: PageRequest,
  ): Promise<Page<InvitationRow>> {
    const { first, after } = this.pageArgs(page, 'invitations', organizationId, INVITATION_ID);
    if (!Roles.manages(viewerRole)) {
      return this.page<InvitationRow>([], first, 'invitations', organizationId, () =>
        Promise.resolve(0),
      );
    }
    const rows = await this.invitationPages.read(organizationId, first + 1, after);
    return this.page(rows, first, 'invitations', organizationId, () =>
      this.em.count(Invitation, { organization: organizationId }),
    );
  }

  /**
   * A page of the viewer's own memberships, oldest first, each with its
   * organization: keyset on (user, createdAt, id), whatever their number.
   */
  async viewerMemberships(userId: string, page: PageRequest): Promise<Page<Membership>> {
    const { first, after } = this.pageArgs(page, 'memberships', userId, MEMBERSHIP_ID);
    const rows = await this.em.find(
      Membership,
      { user: userId, ...keyset(after) },
      {
        populate: ['organization'],
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        limit: first + 1,
      },
    );
    return this.page(rows, first, 'memberships', userId, () =>
      this.em.count(Membership, { user: userId }),
    );
  }

  /**
   * A page of the pending, unexpired invitations to the viewer's address
   * (once verified), newest first: keyset on (email, createdAt, id) read
   * backwards. The cursor belongs to the viewer, not to the address.
   */
  async receivedInvitations(
    viewer: { id: string; email: string; emailVerified: boolean },
    page: PageRequest,
  ): Promise<Page<Invitation>> {
    const { first, after } = this.pageArgs(page, 'received', viewer.id, INVITATION_ID);
    if (!viewer.emailVerified) {
      return this.page<Invitation>([], first, 'received', viewer.id, () => Promise.resolve(0));
    }
    const open = {
      email: viewer.email,
      status: 'pending' as const,
      expiresAt: { $gt: new Date() },
    };
    const rows = await this.em.find(
      Invitation,
      { ...open, ...keysetBefore(after) },
      {
        populate: ['organization', 'invitedBy'],
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        limit: first + 1,
      },
    );
    return this.page(rows, first, 'received', viewer.id, () => this.em.count(Invitation, open));
  }

  private page<T extends CursorKey>(
    rows: T[],
    first: number,
    list: string,
    scope: string,
    count: () => Promise<number>,
  ): Page<T> {
    return {
      rows: rows.slice(0, first),
      cursorOf: (row) => this.cursors.encode(list, scope, row),
      hasNextPage: rows.length > first,
      count,
    };
  }

  private pageArgs(
    page: PageRequest,
    list: string,
    scope: string,
    idPattern: RegExp,
  ): { first: number; after: CursorKey | undefined } {
    const first = page.first ?? PAGE.default;
    if (!Number.isInteger(first) || first < 1 || first > PAGE.max) {
      throw new AppError(Errors.pageSize(PAGE.max));
    }
    if (page.after === undefined || page.after === null) return { first, after: undefined };
    const after = this.cursors.decode(page.after, list, scope, idPattern);
    if (!after) throw new AppError(Errors.invalidCursor());
    return { first, after };
  }
}

/**
 * Rows after the cursor in (createdAt, id) order. The `$gte` bound lets the
 * index range start at the cursor; the `$or` settles ties on createdAt.
 */
function keyset(after: CursorKey | undefined) {
  if (!after) return {};
  return {
    createdAt: { $gte: after.createdAt },
    $or: [{ createdAt: { $gt: after.createdAt } }, { id: { $gt: after.id } }],
  };
}

/** Rows before the cursor in (createdAt, id) order: the next page of a newest-first list. */
function keysetBefore(after: CursorKey | undefined) {
  if (!after) return {};
  return {
    createdAt: { $lte: after.createdAt },
    $or: [{ createdAt: { $lt: after.createdAt } }, { id: { $lt: after.id } }],
  };
}
