import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Config } from './config';
import type { Database } from './db/database';
import { PreparedStatements } from './db/prepared';
import type { Log, Logger } from './logger';
import { AccountDeletionService } from './modules/account/account-deletion.service';
import { ExportService } from './modules/account/export.service';
import { ActivityService } from './modules/activity/activity.service';
import { ApiKeyService } from './modules/api-keys/api-key.service';
import { loadKeyRing, type KeyRing } from './modules/api-keys/key-ring';
import { AccessTokenService } from './modules/auth/access-token.service';
import { AccountService } from './modules/auth/account.service';
import { AuthCache } from './modules/auth/auth-cache';
import { PasswordHasher } from './modules/auth/password-hasher';
import { TokenUsage } from './modules/auth/token-usage';
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
  statements: PreparedStatements;
  tokenUsage: TokenUsage;
  authCache: AuthCache;
}

/** Who is asking: what request-scoped services need to know. */
export interface Requester {
  ip: string;
  log: Log;
}

export async function createDependencies(
  config: Config,
  database: Database,
  logger: Logger,
): Promise<Dependencies> {
  const { orm } = database;
  const statements = new PreparedStatements(orm);
  const authCache = new AuthCache(database.url, config.authCacheTtlMs, logger);
  await authCache.start();
  return {
    config,
    orm,
    logger,
    hasher: new PasswordHasher(config.scrypt),
    keyRing: await loadKeyRing(config),
    rateLimits: new RateLimits(orm.em.getConnection().getKnex(), config.rateLimits),
    statements,
    tokenUsage: new TokenUsage(statements, logger),
    authCache,
  };
}

/**
 * The services of one request, all sharing that request's EntityManager
 * fork. Each is made on first use: most requests need one or two.
 */
export function servicesFor(deps: Dependencies, em: EntityManager, requester: Requester) {
  const services = lazily({
    tokens: () => new AccessTokenService(em, deps.statements, deps.tokenUsage, deps.authCache),
    accounts: (): AccountService =>
      new AccountService(em, deps.hasher, services.tokens, deps.rateLimits, requester),
    profiles: () => new ProfileService(em),
    apiKeys: () => new ApiKeyService(em, deps.keyRing, requester.log),
    onboarding: () => new OnboardingService(em),
    progress: () => new ProgressService(em),
    organizations: () => new OrganizationService(em),
    activity: () => new ActivityService(em),
    plans: () => new PlanService(em),
    exports: () => new ExportService(em, deps.keyRing, requester.log, deps.rateLimits),
    deletion: () => new AccountDeletionService(em, deps.rateLimits, deps.authCache),
  });
  return services;
}

/** An object whose properties are made by their factory on first read, then kept. */
function lazily<F extends Record<string, () => unknown>>(
  factories: F,
): { readonly [K in keyof F]: ReturnType<F[K]> } {
  const made = {} as { [K in keyof F]: ReturnType<F[K]> };
  for (const [name, make] of Object.entries(factories)) {
    let instance: unknown;
    Object.defineProperty(made, name, { enumerable: true, get: () => (instance ??= make()) });
  }
  return made;
}

export type Services = ReturnType<typeof servicesFor>;
