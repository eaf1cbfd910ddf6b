import type { EntityManager } from '@mikro-orm/postgresql';
import { unauthenticated } from '../common/errors';
import type { Session } from '../modules/auth/access-token.service';
import { bearerToken } from '../modules/auth/token';
import { servicesFor, type Dependencies, type Services } from '../services';

/**
 * Authentication of one request, resolved on first use and then remembered,
 * so operations that need no viewer (signUp) never touch the token table.
 */
export class RequestAuth {
  private session: Promise<Session | null> | undefined;

  constructor(
    private readonly token: string | undefined,
    private readonly services: Services,
  ) {}

  current(): Promise<Session | null> {
    this.session ??= this.token
      ? this.services.tokens.authenticate(this.token)
      : Promise.resolve(null);
    return this.session;
  }

  async require(): Promise<Session> {
    const session = await this.current();
    if (!session) throw unauthenticated();
    return session;
  }
}

export interface Context {
  requestId: string;
  clientIp: string;
  em: EntityManager;
  services: Services;
  auth: RequestAuth;
}

export interface RequestInfo {
  id: string;
  ip: string;
  authorization: string | undefined;
}

/** One EntityManager fork per request, carried by the context. */
export function createContext(deps: Dependencies, request: RequestInfo): Context {
  const em = deps.orm.em.fork();
  const services = servicesFor(deps, em);
  return {
    requestId: request.id,
    clientIp: request.ip,
    em,
    services,
    auth: new RequestAuth(bearerToken(request.authorization), services),
  };
}
