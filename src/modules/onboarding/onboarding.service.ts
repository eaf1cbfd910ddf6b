import type { ClientInfo } from '../../auth/client';
import { SecurityLog } from '../../auth/security-log';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, Errors } from '../../common/errors';
import { InvitationService } from '../organizations/invitation.service';
import { type Invitation, Membership, Organization } from '../organizations/organization.entity';
import { lockAccount } from '../../users/account-lock';
import type { User } from '../../users/user.entity';
import type { CompleteOnboardingInput } from './onboarding.inputs';
import { Onboarding } from './onboarding.entity';

export interface OnboardingPreferences {
  company: string;
  useCase: string;
  teamSize: string;
  prdStyle: string;
  interests: string[];
}

export interface OnboardingStatus {
  completed: boolean;
  completedAt: Date | null;
  preferences: OnboardingPreferences | null;
}

export interface OnboardingResult {
  status: OnboardingStatus;
  user: User;
  organization: Organization | null;
  /** Invitations created by this completion (none when all existed already). */
  invited: Invitation[];
}

/** Stored answers: the entity, or a plain row of it. */
export type StoredOnboarding = OnboardingPreferences & { completedAt: Date };

/** What the API shows of stored answers. */
export function statusOf(onboarding: StoredOnboarding | null): OnboardingStatus {
  if (!onboarding) return { completed: false, completedAt: null, preferences: null };
  const { company, useCase, teamSize, prdStyle, interests } = onboarding;
  return {
    completed: true,
    completedAt: onboarding.completedAt,
    preferences: { company, useCase, teamSize, prdStyle, interests },
  };
}

export class OnboardingService {
  constructor(
    private readonly em: EntityManager,
    private readonly invitations: InvitationService,
    /** Who asks, as the security log keeps it. */
    private readonly client: ClientInfo,
  ) {}

  /**
   * Completes (or re-completes) onboarding in one transaction. The user's row
   * is locked first, so concurrent completions run one after the other and
   * the second finds the organization the first created; unique keys on
   * memberships and invitations back that up.
   */
  async complete(user: User, input: CompleteOnboardingInput): Promise<OnboardingResult> {
    const invites = InvitationService.addressList(
      input.inviteEmails ?? [],
      user.email,
      'inviteEmails',
    );
    // Naming addresses to invite counts against the account's invitation limit, as inviteMembers does.
    if (invites.length > 0) await this.invitations.countRequest(user.id);
    return this.em.transactional(async (em) => {
      const me = await lockAccount(em, user.id);
      me.name = input.fullName.trim();
      me.jobTitle = input.jobTitle.trim();
      me.preferredStyle = input.prdStyle.trim();

      const preferences = {
        company: input.company.trim(),
        useCase: input.useCase.trim(),
        teamSize: input.teamSize.trim(),
        prdStyle: input.prdStyle.trim(),
        interests: [...new Set(input.interests.map((interest) => interest.trim()))],
      };
      let onboarding = await em.findOne(Onboarding, { user: me }, { populate: ['organization'] });
      if (onboarding) em.assign(onboarding, preferences);
      else
        onboarding = em.create(Onboarding, { user: me, ...preferences, completedAt: new Date() });

      let organization = onboarding.organization;
      if (!organization && input.createOrg === true) {
        organization = em.create(Organization, {
          name: input.orgName?.trim() ?? preferences.company,
          createdBy: me,
        });
        em.create(Membership, { organization, user: me, role: 'owner' });
        onboarding.organization = organization;
        SecurityLog.add(em, me, 'ORGANIZATION_MEMBERSHIP_ADDED', this.client, organization.id);
      }
      if (invites.length > 0 && !organization) {
        throw new AppError(Errors.invitesWithoutOrganization());
      }
      SecurityLog.add(em, me, 'ONBOARDING_COMPLETED', this.client);
      await em.flush();

      const invited = organization
        ? await this.invitations.inviteFromOnboarding(em, me, organization, invites)
        : [];
      return { status: statusOf(onboarding), user: me, organization, invited };
    });
  }
}
