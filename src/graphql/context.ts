import type { FastifyRequest } from 'fastify';
import { unauthenticated } from '../common/errors';
import type { Log } from '../infra/logger';
import type { Authenticator, Session } from '../modules/auth/authenticator';
import { bearerToken } from '../modules/auth/token';
import type { LimitName } from '../config';
import type { RateLimits } from '../infra/rate-limits';
import { Services, type Dependencies } from '../services';

/**
 * Authentication of one request, resolved on first use and then remembered,
 * so operations that need no viewer (signUp) never touch the token table.
 * Invalid tokens are counted per client address across instances; past the
 * limit the answer is RATE_LIMITED instead of UNAUTHENTICATED.
 */
export class RequestAuth {
  private session: Promise<Session | null> | undefined;

  constructor(
    private readonly token: string | undefined,
    private readonly authenticator: Authenticator,
    private readonly services: Services,
    private readonly limits: RateLimits<LimitName>,
    private readonly clientIp: string,
  ) {}

  current(): Promise<Session | null> {
    this.session ??= this.resolve();
    return this.session;
  }

  async require(): Promise<Session> {
    const session = await this.current();
    if (!session) throw unauthenticated();
    return session;
  }

  private async resolve(): Promise<Session | null> {
    if (!this.token) return null;
    const session = await this.authenticator.authenticate(this.token, () => this.services.em);
    if (!session) await this.limits.consume('authFailuresPerAddress', this.clientIp);
    return session;
  }
}

export interface Context {
  requestId: string;
  clientIp: string;
  services: Services;
  auth: RequestAuth;
  log: Log;
}

export interface RequestInfo {
  id: string;
  ip: string;
  authorization: string | undefined;
  /** The request's own logger (its lines carry the request id). */
  log: Log;
}

/** What a request context is built from, the same for GraphQL and REST. */
export function requestInfo(request: FastifyRequest): RequestInfo {
  return {
    id: request.id,
    ip: request.ip,
    authorization: request.headers.authorization,
    log: request.log,
  };
}

/** One EntityManager fork per request (made on first use), carried by the services. */
export function createContext(deps: Dependencies, request: RequestInfo): Context {
  const services = new Services(deps, { ip: request.ip, log: request.log });
  return {
    requestId: request.id,
    clientIp: request.ip,
    services,
    auth: new RequestAuth(
      bearerToken(request.authorization),
      deps.authenticator,
      services,
      deps.rateLimits,
      request.ip,
    ),
    log: request.log,
  };
}
