import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Config } from './config';
import type { Log, Logger } from './logger';
import { AccountDeletionService } from './modules/account/account-deletion.service';
import { ExportService } from './modules/account/export.service';
import { ActivityService } from './modules/activity/activity.service';
import { ApiKeyService } from './modules/api-keys/api-key.service';
import { loadKeyRing, type KeyRing } from './modules/api-keys/key-ring';
import { AccessTokenService } from './modules/auth/access-token.service';
import { AccountService } from './modules/auth/account.service';
import { PasswordHasher } from './modules/auth/password-hasher';
import { RateLimits } from './modules/limits/rate-limits';
import { OnboardingService } from './modules/onboarding/onboarding.service';
import { ProgressService } from './modules/onboarding/progress.service';
import { OrganizationService } from './modules/organizations/organization.service';
import { PlanService } from './modules/plans/plan.service';
import { ProfileService } from './modules/users/profile.service';

/** What lives for the whole process: configuration, the ORM, shared workers. */
export interface Dependencies {
  config: Config;
  orm: MikroORM;
  logger: Logger;
  hasher: PasswordHasher;
  keyRing: KeyRing;
  rateLimits: RateLimits;
}

/** Who is asking: what request-scoped services need to know. */
export interface Requester {
  ip: string;
  log: Log;
}

export async function createDependencies(
  config: Config,
  orm: MikroORM,
  logger: Logger,
): Promise<Dependencies> {
  return {
    config,
    orm,
    logger,
    hasher: new PasswordHasher(config.scrypt),
    keyRing: await loadKeyRing(config),
    rateLimits: new RateLimits(orm.em.getConnection().getKnex(), config.rateLimits),
  };
}

/** The services of one request, all sharing that request's EntityManager fork. */
export function servicesFor(deps: Dependencies, em: EntityManager, requester: Requester) {
  const tokens = new AccessTokenService(em);
  return {
    tokens,
    accounts: new AccountService(em, deps.hasher, tokens, deps.rateLimits, requester),
    profiles: new ProfileService(em),
    apiKeys: new ApiKeyService(em, deps.keyRing, requester.log),
    onboarding: new OnboardingService(em),
    progress: new ProgressService(em),
    organizations: new OrganizationService(em),
    activity: new ActivityService(em),
    plans: new PlanService(em),
    exports: new ExportService(em, deps.keyRing, requester.log, deps.rateLimits),
    deletion: new AccountDeletionService(em, deps.rateLimits),
  };
}

export type Services = ReturnType<typeof servicesFor>;
