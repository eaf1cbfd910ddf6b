import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { Invitation, Membership, type Role } from './organization.entity';

/** Roles that manage an organization and see its invitations. */
const MANAGERS: readonly Role[] = ['owner', 'admin'];

export class OrganizationService {
  /** Batched per request: one query for all organizations in a response. */
  private readonly memberCounts: DataLoader<string, number>;
  private readonly invitationsByOrganization: DataLoader<string, Invitation[]>;
  private readonly membersByOrganization: DataLoader<string, Membership[]>;

  constructor(private readonly em: EntityManager) {
    this.memberCounts = new DataLoader(async (ids) => {
      // Only when the count was not read with the organization (the viewer's
      // reads carry it): organizations are teams, their memberships few.
      const memberships = await this.em.find(
        Membership,
        { organization: { $in: [...ids] } },
        { fields: ['organization'] },
      );
      const counts = new Map<string, number>();
      for (const { organization } of memberships) {
        counts.set(organization.id, (counts.get(organization.id) ?? 0) + 1);
      }
      return ids.map((id) => counts.get(id) ?? 0);
    });
    this.invitationsByOrganization = new DataLoader(async (ids) => {
      const invitations = await this.em.find(
        Invitation,
        { organization: { $in: [...ids] } },
        { orderBy: { createdAt: 'asc', id: 'asc' } },
      );
      return ids.map((id) => invitations.filter((inv) => inv.organization.id === id));
    });
    this.membersByOrganization = new DataLoader(async (ids) => {
      const memberships = await this.em.find(
        Membership,
        { organization: { $in: [...ids] } },
        { populate: ['user'], orderBy: { createdAt: 'asc', id: 'asc' } },
      );
      return ids.map((id) => memberships.filter((m) => m.organization.id === id));
    });
  }

  /** Members of an organization, oldest first, with their user. */
  members(organizationId: string): Promise<Membership[]> {
    return this.membersByOrganization.load(organizationId);
  }

  memberCount(organizationId: string): Promise<number> {
    return this.memberCounts.load(organizationId);
  }

  /** Invitations of an organization, for its owners and admins only. */
  async invitations(organizationId: string, viewerRole: Role): Promise<Invitation[]> {
    return MANAGERS.includes(viewerRole) ? this.invitationsByOrganization.load(organizationId) : [];
  }
}
