import type { Log } from '../infra/logger';
import type { ClientInfo } from './client';

/** Who is asking: what request-scoped services need to know of the request. */
export interface Requester {
  /** The client's address (per-address limits). */
  ip: string;
  /** The client as the security log and token use keep it (truncated address, user agent). */
  client: ClientInfo;
  /** The request's own logger (its lines carry the request id). */
  log: Log;
}
