import type { Log } from '../infra/logger';

/** Who is asking: what request-scoped services need to know of the request. */
export interface Requester {
  /** The client's address (per-address limits). */
  ip: string;
  /** The request's own logger (its lines carry the request id). */
  log: Log;
}
