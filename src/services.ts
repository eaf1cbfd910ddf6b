import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Config } from './config';
import type { Database } from './db/database';
import { databasePool, PreparedStatements } from './db/adapter';
import type { Log, Logger } from './logger';
import { AccountDeletionService } from './modules/account/account-deletion.service';
import { ExportService } from './modules/account/export.service';
import { ActivityService } from './modules/activity/activity.service';
import { ApiKeyService } from './modules/api-keys/api-key.service';
import { loadKeyRing, type KeyRing } from './modules/api-keys/key-ring';
import { AccessTokenService } from './modules/auth/access-token.service';
import { AccountService } from './modules/auth/account.service';
import { AuthCache } from './modules/auth/auth-cache';
import { Authenticator } from './modules/auth/authenticator';
import { PasswordHasher } from './modules/auth/password-hasher';
import { TokenUsage } from './modules/auth/token-usage';
import { RateLimits } from './modules/limits/rate-limits';
import { OnboardingService } from './modules/onboarding/onboarding.service';
import { OrganizationService } from './modules/organizations/organization.service';
import { ProfileService } from './modules/users/profile.service';
import { ViewerReads } from './modules/viewer/viewer-reads';

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
  authenticator: Authenticator;
  viewerReads: ViewerReads;
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
  const authCache = new AuthCache(
    { url: database.url, connectTimeoutMs: config.db.connectTimeoutMs },
    config.authCacheTtlMs,
    logger,
  );
  await authCache.start();
  const tokenUsage = new TokenUsage(statements, logger);
  return {
    config,
    orm,
    logger,
    hasher: new PasswordHasher(config.scrypt),
    keyRing: await loadKeyRing(config),
    rateLimits: new RateLimits(await databasePool(orm), config.rateLimits),
    statements,
    tokenUsage,
    authCache,
    authenticator: new Authenticator(orm, statements, tokenUsage, authCache),
    viewerReads: new ViewerReads(statements),
  };
}

type ServiceName = Exclude<keyof Services, 'em' | 'viewerReads'>;

/**
 * The services of one request, all sharing that request's EntityManager
 * fork. The fork and each service are made on first use: most requests need
 * one or two services, and a profile read served from the auth cache none.
 */
export class Services {
  private fork: EntityManager | undefined;
  private made: Partial<Record<ServiceName, unknown>> = {};

  constructor(
    private readonly deps: Dependencies,
    private readonly requester: Requester,
  ) {}

  /** This request's EntityManager. */
  get em(): EntityManager {
    return (this.fork ??= this.deps.orm.em.fork());
  }

  /** What the viewer's fields show, read in one statement (shared by the process). */
  get viewerReads(): ViewerReads {
    return this.deps.viewerReads;
  }

  get tokens(): AccessTokenService {
    return this.once('tokens', () => new AccessTokenService(this.em, this.deps.authenticator));
  }

  get accounts(): AccountService {
    const { deps, requester } = this;
    return this.once(
      'accounts',
      () => new AccountService(this.em, deps.hasher, this.tokens, deps.rateLimits, requester),
    );
  }

  get profiles(): ProfileService {
    return this.once('profiles', () => new ProfileService(this.em));
  }

  get apiKeys(): ApiKeyService {
    return this.once(
      'apiKeys',
      () => new ApiKeyService(() => this.em, this.deps.keyRing, this.requester.log),
    );
  }

  get onboarding(): OnboardingService {
    return this.once('onboarding', () => new OnboardingService(this.em));
  }

  get organizations(): OrganizationService {
    return this.once('organizations', () => new OrganizationService(this.em));
  }

  get activity(): ActivityService {
    return this.once('activity', () => new ActivityService(this.deps.statements));
  }

  get exports(): ExportService {
    const { deps, requester } = this;
    return this.once(
      'exports',
      () => new ExportService(this.em, deps.keyRing, requester.log, deps.rateLimits),
    );
  }

  get deletion(): AccountDeletionService {
    return this.once(
      'deletion',
      () => new AccountDeletionService(this.em, this.deps.rateLimits, this.deps.authenticator),
    );
  }

  private once<T>(name: ServiceName, make: () => T): T {
    return (this.made[name] ??= make()) as T;
  }
}
