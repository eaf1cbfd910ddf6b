import type { FastifyRequest } from 'fastify';
import { RequestAuth } from '../auth/request-auth';
import { bearerToken } from '../auth/token';
import type { Log } from '../infra/logger';
import { Services, type Dependencies } from '../services';

export interface Context {
  services: Services;
  auth: RequestAuth;
  log: Log;
}

export interface RequestInfo {
  ip: string;
  authorization: string | undefined;
  /** The request's own logger (its lines carry the request id). */
  log: Log;
}

/** What a request context is built from, the same for GraphQL and REST. */
export function requestInfo(request: FastifyRequest): RequestInfo {
  return {
    ip: request.ip,
    authorization: request.headers.authorization,
    log: request.log,
  };
}

/** One EntityManager fork per request (made on first use), carried by the services. */
export function createContext(deps: Dependencies, request: RequestInfo): Context {
  const services = new Services(deps, { ip: request.ip, log: request.log });
  return {
    services,
    auth: new RequestAuth(
      bearerToken(request.authorization),
      deps.authenticator,
      () => services.em,
      deps.rateLimits,
      request.ip,
    ),
    log: request.log,
  };
}
