import ipaddr from 'ipaddr.js';
import { USER_AGENT_MAX_LENGTH } from './access-token.entity';

/**
 * Where a request comes from, as much of it as is kept: enough for a user to
 * recognise a session, not to locate a person.
 */
export interface ClientInfo {
  /** Truncated: IPv4 to its /24, IPv6 to its /48 (`203.0.113.0/24`, `2001:db8:1::/48`). */
  readonly ip: string | null;
  /** Cut to USER_AGENT_MAX_LENGTH characters. */
  readonly userAgent: string | null;
}

/** No client: work done outside a request, or an event in a log of someone other than the actor. */
export const NO_CLIENT: ClientInfo = Object.freeze({ ip: null, userAgent: null });

/** The network of a client address (ipaddr.js parses every notation, IPv4-mapped IPv6 included). */
export function truncateAddress(address: string): string | null {
  if (!ipaddr.isValid(address)) return null;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') {
    const bytes = parsed.toByteArray();
    bytes[3] = 0;
    return `${bytes.join('.')}/24`;
  }
  const parts = (parsed as ipaddr.IPv6).parts.map((part, i) => (i < 3 ? part : 0));
  return `${new ipaddr.IPv6(parts).toString()}/48`;
}

export function clipUserAgent(userAgent: string | undefined): string | null {
  if (!userAgent) return null;
  // By code points, so that a cut never leaves half a surrogate pair (PostgreSQL refuses those).
  const clipped = Array.from(userAgent).slice(0, USER_AGENT_MAX_LENGTH).join('');
  // Control characters are dropped rather than stored (NUL cannot be stored at all).
  // eslint-disable-next-line no-control-regex
  return clipped.replace(/[\u0000-\u001f\u007f]/g, '') || null;
}

/**
 * A request's client, worked out on first read: most requests never record
 * it (token use is written at most once a minute per token, the security log
 * only on changes), and parsing the address on every request showed in the
 * CPU profile of the read paths (about 2 %).
 */
export function clientInfo(ip: string, userAgent: string | undefined): ClientInfo {
  return new RequestClient(ip, userAgent);
}

class RequestClient implements ClientInfo {
  private truncated: string | null | undefined;
  private clipped: string | null | undefined;

  constructor(
    private readonly address: string,
    private readonly agent: string | undefined,
  ) {}

  get ip(): string | null {
    if (this.truncated === undefined) this.truncated = truncateAddress(this.address);
    return this.truncated;
  }

  get userAgent(): string | null {
    if (this.clipped === undefined) this.clipped = clipUserAgent(this.agent);
    return this.clipped;
  }
}
