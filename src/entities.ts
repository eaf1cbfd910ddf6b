import 'reflect-metadata';
import { ActivityEvent } from './modules/activity/activity-event.entity';
import { ApiKey } from './modules/api-keys/api-key.entity';
import { AccessToken } from './auth/access-token.entity';
import { MailOutbox } from './infra/mail/mail-outbox.entity';
import { SecurityEvent } from './auth/security-event.entity';
import { RateLimit } from './infra/rate-limit.entity';
import { Onboarding } from './modules/onboarding/onboarding.entity';
import { Invitation, Membership, Organization } from './modules/organizations/organization.entity';
import { OneTimeCode } from './users/one-time-code.entity';
import { User } from './users/user.entity';

/** Every entity, listed explicitly: no folder scanning at start-up. */
export const entities = [
  User,
  AccessToken,
  ApiKey,
  Organization,
  Membership,
  Invitation,
  Onboarding,
  ActivityEvent,
  RateLimit,
  MailOutbox,
  SecurityEvent,
  OneTimeCode,
];
