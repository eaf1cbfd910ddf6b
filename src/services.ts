import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Config } from './config';
import type { Logger } from './logger';
import { AccountDeletionService } from './modules/account/account-deletion.service';
import { ExportService } from './modules/account/export.service';
import { ActivityService } from './modules/activity/activity.service';
import { ApiKeyService } from './modules/api-keys/api-key.service';
import { loadKeyRing, type KeyRing } from './modules/api-keys/key-ring';
import { AccessTokenService } from './modules/auth/access-token.service';
import { AccountService } from './modules/auth/account.service';
import { PasswordHasher } from './modules/auth/password-hasher';
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
  };
}

/** The services of one request, all sharing that request's EntityManager fork. */
export function servicesFor(deps: Dependencies, em: EntityManager) {
  const tokens = new AccessTokenService(em);
  return {
    tokens,
    accounts: new AccountService(em, deps.hasher, tokens),
    profiles: new ProfileService(em),
    apiKeys: new ApiKeyService(em, deps.keyRing, deps.logger),
    onboarding: new OnboardingService(em),
    progress: new ProgressService(em),
    organizations: new OrganizationService(em),
    activity: new ActivityService(em),
    plans: new PlanService(em),
    exports: new ExportService(em, deps.keyRing, deps.logger),
    deletion: new AccountDeletionService(em),
  };
}

export type Services = ReturnType<typeof servicesFor>;
