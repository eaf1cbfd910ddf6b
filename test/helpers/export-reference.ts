/**
 * The data export as it was built before it was streamed (issue 19): managed
 * entities in one REPEATABLE READ transaction, the document returned whole.
 * Its reading part kept as it was (as a function; the DATA_EXPORTED event
 * the export writes first is left out: this reads only), so that
 * test/export-stream.test.ts can check that the streamed text is, byte for
 * byte, what this gives of the same data.
 */
import { SECURITY_EVENT_RETENTION_DAYS, SecurityEvent } from '../../src/auth/security-event.entity';
import { IsolationLevel } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ActivityEvent } from '../../src/modules/activity/activity-event.entity';
import { ApiKey } from '../../src/modules/api-keys/api-key.entity';
import { presentApiKey } from '../../src/modules/api-keys/api-key.service';
import type { KeyRing } from '../../src/modules/api-keys/key-ring';
import type { Log } from '../../src/infra/logger';
import { AccessToken } from '../../src/auth/access-token.entity';
import { Onboarding } from '../../src/modules/onboarding/onboarding.entity';
import { statusOf } from '../../src/modules/onboarding/onboarding.service';
import { Invitation, Membership } from '../../src/modules/organizations/organization.entity';
import { visibleStatus } from '../../src/modules/organizations/organization.types';
import { findAccount } from '../../src/users/account-lock';
import { DEFAULT_TIMEZONE } from '../../src/users/user.entity';
import { isoSeconds } from '../../src/common/time';
import { activityKeptSince, deadTokensSince } from '../../src/modules/account/retention';
import { MailOutbox } from '../../src/infra/mail/mail-outbox.entity';
import { OneTimeCode } from '../../src/users/one-time-code.entity';

const optionalIso = (date: Date | null) => (date ? isoSeconds(date) : null);
const EXPORT_FORMAT_VERSION = 1;

export async function referenceExport(
  em: EntityManager,
  keyRing: KeyRing,
  logger: Log,
  userId: string,
): Promise<Record<string, unknown>> {
  return em.transactional(
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
          const view = presentApiKey(keyRing, logger, user.id, key);
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
