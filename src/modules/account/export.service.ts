import type { ClientInfo } from '../../auth/client';
import { SECURITY_EVENT_RETENTION_DAYS, SecurityEvent } from '../../auth/security-event.entity';
import { SecurityLog } from '../../auth/security-log';
import { IsolationLevel } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ActivityEvent } from '../activity/activity-event.entity';
import { ApiKey } from '../api-keys/api-key.entity';
import { presentApiKey } from '../api-keys/api-key.service';
import type { KeyRing } from '../api-keys/key-ring';
import type { LimitName } from '../../config';
import type { RateLimits } from '../../infra/rate-limits';
import type { Log } from '../../infra/logger';
import { AccessToken } from '../../auth/access-token.entity';
import { Onboarding } from '../onboarding/onboarding.entity';
import { statusOf } from '../onboarding/onboarding.service';
import { Invitation, Membership } from '../organizations/organization.entity';
import { visibleStatus } from '../organizations/organization.types';
import { accountOwner, findAccount, lockAccount } from '../../users/account-lock';
import { DEFAULT_TIMEZONE } from '../../users/user.entity';
import { isoSeconds } from '../../common/time';
import { activityKeptSince, deadTokensSince } from './retention';
import { MailOutbox } from '../../infra/mail/mail-outbox.entity';
import { OneTimeCode } from '../../users/one-time-code.entity';

const optionalIso = (date: Date | null) => (date ? isoSeconds(date) : null);

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
    private readonly logger: Log,
    private readonly limits: RateLimits<LimitName>,
    /** Who asks, as the security log keeps it. */
    private readonly client: ClientInfo,
  ) {}

  async export(userId: string): Promise<Record<string, unknown>> {
    await this.limits.consume('dataExport', userId, accountOwner(this.em, userId));
    // The export is in the log (and so in the export itself): written first,
    // under the account's row lock, in its own transaction, so the snapshot
    // below stays read-only (a write in it would fail on a racing change or
    // deletion of the account with a serialization error).
    await this.em.transactional(async (em) => {
      const user = await lockAccount(em, userId);
      SecurityLog.add(em, user, 'DATA_EXPORTED', this.client);
    });
    return this.read(userId);
  }

  private read(userId: string): Promise<Record<string, unknown>> {
    return this.em.transactional(
      async (em) => {
        const user = await findAccount(em, userId);
        // One after the other: a transaction is one connection, which runs one query at a time.
        const onboarding = await em.findOne(Onboarding, { user });
        const keys = await em.find(
          ApiKey,
          { user },
          { populate: ['iv', 'ciphertext', 'authTag'], orderBy: { provider: 'asc' } },
        );
        // What the export holds follows the retention (retention.ts), whenever the purge last ran.
        const now = new Date();
        const deadSince = deadTokensSince(now);
        const tokens = await em.find(
          AccessToken,
          {
            user,
            $and: [
              { $or: [{ revokedAt: null }, { revokedAt: { $gte: deadSince } }] },
              { $or: [{ expiresAt: null }, { expiresAt: { $gte: deadSince } }] },
            ],
          },
          { orderBy: { createdAt: 'asc', id: 'asc' } },
        );
        const memberships = await em.find(
          Membership,
          { user },
          { populate: ['organization'], orderBy: { createdAt: 'asc' } },
        );
        const sent = await em.find(
          Invitation,
          { invitedBy: user },
          { orderBy: { createdAt: 'asc' } },
        );
        const received = await em.find(
          Invitation,
          { email: user.email },
          { populate: ['organization'], orderBy: { createdAt: 'asc' } },
        );
        const events = await em.find(
          ActivityEvent,
          { user, recordedAt: { $gte: activityKeptSince(now) } },
          { orderBy: { recordedAt: 'asc' } },
        );
        const securityEvents = await em.find(
          SecurityEvent,
          {
            user,
            occurredAt: {
              $gte: new Date(now.getTime() - SECURITY_EVENT_RETENTION_DAYS * 24 * 3600 * 1000),
            },
          },
          { orderBy: { seq: 'asc' } },
        );
        const pendingChange = await em.findOne(
          OneTimeCode,
          {
            user,
            purpose: 'email_change',
            usedAt: null,
            supersededAt: null,
            expiresAt: { $gt: new Date() },
          },
          { fields: ['email', 'createdAt', 'expiresAt'] },
        );
        const messages = await em.find(
          MailOutbox,
          { userId: user.id },
          {
            fields: ['template', 'recipient', 'status', 'createdAt', 'sentAt'],
            orderBy: { createdAt: 'asc', id: 'asc' },
          },
        );
        const status = statusOf(onboarding);
        return {
          formatVersion: EXPORT_FORMAT_VERSION,
          exportedAt: isoSeconds(new Date()),
          profile: {
            id: user.id,
            email: user.email,
            name: user.name,
            jobTitle: user.jobTitle,
            bio: user.bio,
            avatarUrl: user.avatarUrl,
            emailVerified: user.emailVerified,
            plan: user.plan,
            createdAt: isoSeconds(user.createdAt),
            updatedAt: isoSeconds(user.updatedAt),
          },
          email: {
            address: user.email,
            verified: user.emailVerified,
            pendingChange: pendingChange
              ? {
                  newEmail: pendingChange.email,
                  requestedAt: isoSeconds(pendingChange.createdAt),
                  expiresAt: isoSeconds(pendingChange.expiresAt),
                }
              : null,
          },
          messages: messages.map((message) => ({
            template: message.template,
            to: message.recipient,
            status: message.status,
            createdAt: isoSeconds(message.createdAt),
            sentAt: optionalIso(message.sentAt),
          })),
          preferences: {
            preferredStyle: user.preferredStyle,
            timezone: user.timezone ?? DEFAULT_TIMEZONE,
            ...(status.preferences ?? {}),
          },
          onboarding: {
            completed: status.completed,
            completedAt: optionalIso(status.completedAt),
            preferences: status.preferences,
          },
          apiKeys: keys.map((key) => {
            const view = presentApiKey(this.keyRing, this.logger, user.id, key);
            return {
              id: view.id,
              provider: view.provider,
              name: view.name,
              maskedKey: view.maskedKey,
              status: view.status,
              statusReason: view.statusReason,
              lastValidatedAt: optionalIso(view.lastValidatedAt),
              createdAt: isoSeconds(view.createdAt),
              updatedAt: isoSeconds(view.updatedAt),
            };
          }),
          accessTokens: tokens.map((token) => ({
            id: token.id,
            name: token.name,
            createdAt: isoSeconds(token.createdAt),
            lastUsedAt: optionalIso(token.lastUsedAt),
            lastUsedIp: token.lastUsedIp,
            lastUsedUserAgent: token.lastUsedUserAgent,
            expiresAt: optionalIso(token.expiresAt),
            scopes: token.scopes,
            revokedAt: optionalIso(token.revokedAt),
          })),
          organizations: memberships.map(({ organization }) => ({
            id: organization.id,
            name: organization.name,
            createdAt: isoSeconds(organization.createdAt),
          })),
          memberships: memberships.map((membership) => ({
            id: membership.id,
            organizationId: membership.organization.id,
            role: membership.role,
            joinedAt: isoSeconds(membership.createdAt),
          })),
          invitations: {
            // The addresses the user typed in; never another member's.
            sent: sent.map((invitation) => ({
              id: invitation.id,
              organizationId: invitation.organization.id,
              email: invitation.email,
              role: invitation.role,
              status: visibleStatus(invitation, now),
              createdAt: isoSeconds(invitation.createdAt),
              expiresAt: isoSeconds(invitation.expiresAt),
            })),
            received: received.map((invitation) => ({
              id: invitation.id,
              organizationId: invitation.organization.id,
              organizationName: invitation.organization.name,
              role: invitation.role,
              status: visibleStatus(invitation, now),
              createdAt: isoSeconds(invitation.createdAt),
              expiresAt: isoSeconds(invitation.expiresAt),
            })),
          },
          activity: {
            lastActiveAt: optionalIso(user.lastActiveAt),
            events: events.map((event) => isoSeconds(event.recordedAt)),
          },
          securityEvents: securityEvents.map((event) => ({
            id: event.id,
            type: event.type,
            occurredAt: isoSeconds(event.occurredAt),
            ip: event.ip,
            userAgent: event.userAgent,
            subjectId: event.subjectId,
          })),
        };
      },
      { isolationLevel: IsolationLevel.REPEATABLE_READ, clear: true },
    );
  }
}
