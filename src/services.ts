import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Config } from './config';
import { AccessTokenService } from './modules/auth/access-token.service';
import { AccountService } from './modules/auth/account.service';
import { PasswordHasher } from './modules/auth/password-hasher';
import { ProfileService } from './modules/users/profile.service';

/** What lives for the whole process: configuration, the ORM, shared workers. */
export interface Dependencies {
  config: Config;
  orm: MikroORM;
  hasher: PasswordHasher;
}

export function createDependencies(config: Config, orm: MikroORM): Dependencies {
  return { config, orm, hasher: new PasswordHasher(config.scrypt) };
}

/** The services of one request, all sharing that request's EntityManager fork. */
export function servicesFor(deps: Dependencies, em: EntityManager) {
  const tokens = new AccessTokenService(em);
  return {
    tokens,
    accounts: new AccountService(em, deps.hasher, tokens),
    profiles: new ProfileService(em),
  };
}

export type Services = ReturnType<typeof servicesFor>;
