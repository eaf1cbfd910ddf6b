import { IsolationLevel } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ActivityEvent } from '../activity/activity-event.entity';
import { ApiKey } from '../api-keys/api-key.entity';
import { presentApiKey } from '../api-keys/api-key.service';
import type { KeyRing } from '../api-keys/key-ring';
import type { Logger } from '../../logger';
import { AccessToken } from '../auth/access-token.entity';
import { Onboarding } from '../onboarding/onboarding.entity';
import { statusOf } from '../onboarding/onboarding.service';
import { Invitation, Membership } from '../organizations/organization.entity';
import { User } from '../users/user.entity';

export const EXPORT_FORMAT_VERSION = 1;

/**
 * The GDPR export: every piece of data held about the user, read in one
 * REPEATABLE READ snapshot. Provider keys appear masked; no password hash,
 * token hash or ciphertext is ever selected into it.
 */
export class ExportService {
  constructor(
    private readonly em: EntityManager,
    private readonly keyRing: KeyRing,
    private readonly logger: Logger,
  ) {}

  export(userId: string): Promise<Record<string, unknown>> {
    return this.em.transactional(
      async (em) => {
        const user = await em.findOneOrFail(User, { id: userId });
        const [onboarding, keys, tokens, memberships, sent, received, events] = await Promise.all([
          em.findOne(Onboarding, { user }),
          em.find(
            ApiKey,
            { user },
            { populate: ['iv', 'ciphertext', 'authTag'], orderBy: { provider: 'asc' } },
          ),
          em.find(AccessToken, { user }, { orderBy: { createdAt: 'asc', id: 'asc' } }),
          em.find(
            Membership,
            { user },
            { populate: ['organization'], orderBy: { createdAt: 'asc' } },
          ),
          em.find(Invitation, { invitedBy: user }, { orderBy: { createdAt: 'asc' } }),
          em.find(
            Invitation,
            { email: user.email },
            { populate: ['organization'], orderBy: { createdAt: 'asc' } },
          ),
          em.find(ActivityEvent, { user }, { orderBy: { recordedAt: 'asc' } }),
        ]);
        const status = statusOf(onboarding);
        return {
          formatVersion: EXPORT_FORMAT_VERSION,
          exportedAt: new Date().toISOString(),
          profile: {
            id: user.id,
            email: user.email,
            name: user.name,
            jobTitle: user.jobTitle,
            bio: user.bio,
            avatarUrl: user.avatarUrl,
            emailVerified: user.emailVerified,
            plan: user.plan,
            createdAt: user.createdAt.toISOString(),
            updatedAt: user.updatedAt.toISOString(),
          },
          preferences: {
            preferredStyle: user.preferredStyle,
            timezone: user.timezone ?? 'UTC',
            ...(status.preferences ?? {}),
          },
          onboarding: {
            completed: status.completed,
            completedAt: status.completedAt?.toISOString() ?? null,
            preferences: status.preferences,
          },
          apiKeys: keys.map((key) => {
            const view = presentApiKey(this.keyRing, this.logger, key);
            return {
              id: view.id,
              provider: view.provider,
              name: view.name,
              maskedKey: view.maskedKey,
              status: view.status,
              createdAt: view.createdAt.toISOString(),
              updatedAt: view.updatedAt.toISOString(),
            };
          }),
          accessTokens: tokens.map((token) => ({
            id: token.id,
            name: token.name,
            createdAt: token.createdAt.toISOString(),
            lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
            revokedAt: token.revokedAt?.toISOString() ?? null,
          })),
          organizations: memberships.map(({ organization }) => ({
            id: organization.id,
            name: organization.name,
            createdAt: organization.createdAt.toISOString(),
          })),
          memberships: memberships.map((membership) => ({
            organizationId: membership.organization.id,
            role: membership.role,
            joinedAt: membership.createdAt.toISOString(),
          })),
          invitations: {
            sent: sent.map((invitation) => ({
              id: invitation.id,
              organizationId: invitation.organization.id,
              email: invitation.email,
              status: invitation.status,
              createdAt: invitation.createdAt.toISOString(),
            })),
            received: received.map((invitation) => ({
              id: invitation.id,
              organizationId: invitation.organization.id,
              organizationName: invitation.organization.name,
              status: invitation.status,
              createdAt: invitation.createdAt.toISOString(),
            })),
          },
          activity: {
            lastActiveAt: user.lastActiveAt?.toISOString() ?? null,
            events: events.map((event) => event.recordedAt.toISOString()),
          },
        };
      },
      { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true, clear: true },
    );
  }
}
