import type { RequestAuth } from '../auth/request-auth';
import type { Log } from '../infra/logger';

/**
 * The request-scoped services resolvers reach through `ctx.services`. Empty
 * here: each feature adds its own where its resolver uses it, by declaration
 * merging (as Fastify's own types are extended), e.g.
 *
 *   declare module '../../graphql/context' {
 *     interface RequestServices { apiKeys: ApiKeyService }
 *   }
 *
 * and the composition root's `Services` (src/services.ts) must provide every
 * one of them, or it does not compile. So this layer knows no feature, and
 * no feature knows the composition root.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by the features
export interface RequestServices {}

/** What every resolver receives, on both faces: who is asking, and what serves them. */
export interface Context {
  services: RequestServices;
  auth: RequestAuth;
  /** The request's own logger (its lines carry the request id). */
  log: Log;
}
