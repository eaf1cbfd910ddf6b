import { API_KEY_STATUSES } from '../api-keys/api-key.service';
import { PROVIDERS } from '../api-keys/api-key.entity';
import { KEY_CHECK_REASONS } from '../api-keys/key-check';
import { INVITATION_STATUSES, ROLES } from '../organizations/organization.entity';
import { PLANS } from '../../users/user.entity';
import { TOKEN_SCOPES } from '../../auth/scopes';
import { SECURITY_EVENT_TYPES } from '../../auth/security-event.entity';
import { MAIL_STATUSES } from '../../infra/mail/mail-outbox.entity';
import { MAIL_TEMPLATES } from '../../infra/mail/templates';

/**
 * The JSON Schema of the GDPR export (`exportData`, `GET /api/user/data-export`),
 * beside the code that writes it (export.service.ts); the OpenAPI document
 * carries it, and test/export.test.ts checks real exports against it, every
 * object closed (`additionalProperties: false`), so the two cannot drift apart.
 */
const time = { type: 'string', format: 'date-time' } as const;
const optionalTime = { type: ['string', 'null'], format: 'date-time' } as const;
const text = { type: 'string' } as const;
const optionalText = { type: ['string', 'null'] } as const;
const closed = (properties: Record<string, unknown>) => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
});
const onboardingAnswers = {
  company: text,
  useCase: text,
  teamSize: text,
  prdStyle: text,
  interests: { type: 'array', items: text },
};

export const EXPORT_SCHEMA: Record<string, unknown> = {
  ...closed({
    formatVersion: { type: 'integer', const: 1 },
    exportedAt: time,
    profile: closed({
      id: text,
      email: { type: 'string', format: 'email' },
      name: text,
      jobTitle: optionalText,
      bio: optionalText,
      avatarUrl: optionalText,
      emailVerified: { type: 'boolean' },
      plan: { type: 'string', enum: [...PLANS] },
      createdAt: time,
      updatedAt: time,
    }),
    email: closed({
      address: { type: 'string', format: 'email' },
      verified: { type: 'boolean' },
      pendingChange: {
        anyOf: [
          closed({
            newEmail: { type: 'string', format: 'email' },
            requestedAt: time,
            expiresAt: time,
          }),
          { type: 'null' },
        ],
      },
    }),
    messages: {
      type: 'array',
      items: closed({
        template: { type: 'string', enum: [...MAIL_TEMPLATES] },
        to: { type: 'string', format: 'email' },
        status: { type: 'string', enum: [...MAIL_STATUSES] },
        createdAt: time,
        sentAt: optionalTime,
      }),
    },
    preferences: {
      type: 'object',
      properties: { preferredStyle: optionalText, timezone: text, ...onboardingAnswers },
      required: ['preferredStyle', 'timezone'],
      additionalProperties: false,
    },
    onboarding: closed({
      completed: { type: 'boolean' },
      completedAt: optionalTime,
      preferences: { anyOf: [closed(onboardingAnswers), { type: 'null' }] },
    }),
    apiKeys: {
      type: 'array',
      items: closed({
        id: text,
        provider: { type: 'string', enum: [...PROVIDERS] },
        name: optionalText,
        maskedKey: optionalText,
        status: { type: 'string', enum: [...API_KEY_STATUSES] },
        statusReason: { type: ['string', 'null'], enum: [...KEY_CHECK_REASONS, null] },
        lastValidatedAt: optionalTime,
        createdAt: time,
        updatedAt: time,
      }),
    },
    accessTokens: {
      type: 'array',
      items: closed({
        id: text,
        name: optionalText,
        createdAt: time,
        lastUsedAt: optionalTime,
        lastUsedIp: optionalText,
        lastUsedUserAgent: optionalText,
        expiresAt: optionalTime,
        scopes: { type: 'array', items: { type: 'string', enum: [...TOKEN_SCOPES] } },
        revokedAt: optionalTime,
      }),
    },
    organizations: { type: 'array', items: closed({ id: text, name: text, createdAt: time }) },
    memberships: {
      type: 'array',
      items: closed({
        id: text,
        organizationId: text,
        role: { type: 'string', enum: [...ROLES] },
        joinedAt: time,
      }),
    },
    invitations: closed({
      sent: {
        type: 'array',
        items: closed({
          id: text,
          organizationId: text,
          email: { type: 'string', format: 'email' },
          role: { type: 'string', enum: [...ROLES] },
          status: { type: 'string', enum: [...INVITATION_STATUSES] },
          createdAt: time,
          expiresAt: time,
        }),
      },
      received: {
        type: 'array',
        items: closed({
          id: text,
          organizationId: text,
          organizationName: text,
          role: { type: 'string', enum: [...ROLES] },
          status: { type: 'string', enum: [...INVITATION_STATUSES] },
          createdAt: time,
          expiresAt: time,
        }),
      },
    }),
    activity: closed({ lastActiveAt: optionalTime, events: { type: 'array', items: time } }),
    securityEvents: {
      type: 'array',
      items: closed({
        id: text,
        type: { type: 'string', enum: [...SECURITY_EVENT_TYPES] },
        occurredAt: time,
        ip: optionalText,
        userAgent: optionalText,
        subjectId: optionalText,
      }),
    },
  }),
  description:
    'Everything held about the user. Provider keys masked; no password hash, token hash or ciphertext.',
};
