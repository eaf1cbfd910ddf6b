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
  /**
   * Set by the REST face on a path served as a file download (the data
   * export): a field whose answer is one large JSON document writes its text
   * here as it reads it, instead of returning it, and the face sends nothing
   * else. Absent on /graphql, where answers are built whole.
   */
  download?: Download;
}

/** A response body written as it is produced (REST downloads). */
export interface Download {
  /**
   * Sends `chunks` (JSON text, in order) as the body; resolves once the last
   * is written, rejects if the body could not be sent whole (the reading
   * failed, or the client went away), after which the response is aborted:
   * the client never sees a complete body.
   */
  send(chunks: AsyncIterable<string>): Promise<void>;
}
