import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, Errors } from '../common/errors';
import type { LimitName } from '../config';
import type { RateLimits } from '../infra/rate-limits';
import type { Authenticator } from './authenticator';
import type { ClientInfo } from './client';
import type { SecurityLog } from './security-log';
import { ExpiredToken, type Session } from './session';

/**
 * Authentication of one request, the same on both faces: resolved on first
 * use and then remembered, so operations that need no viewer (signUp) never
 * touch the token table. Invalid tokens are counted per client address
 * across instances; past the limit the answer is RATE_LIMITED instead of
 * UNAUTHENTICATED. An expired token is refused with its reason (and not
 * counted: only a real token can expire).
 */
export class RequestAuth {
  private session: Promise<Session | ExpiredToken | null> | undefined;
  private settled: Session | null = null;

  constructor(
    /** The Bearer token the request carries, if any. */
    private readonly token: string | undefined,
    private readonly authenticator: Authenticator,
    /** The request's EntityManager (made on first use), should the session need its entity. */
    private readonly em: () => EntityManager,
    private readonly limits: RateLimits<LimitName>,
    private readonly clientIp: string,
    /** The client as kept with the token's use and in the security log. */
    readonly client: ClientInfo,
    private readonly securityLog: SecurityLog,
  ) {}

  /** The session, or null when the request carries no valid token. */
  async current(): Promise<Session | null> {
    this.session ??= this.resolve();
    const resolved = await this.session;
    return resolved instanceof ExpiredToken ? null : resolved;
  }

  async require(): Promise<Session> {
    this.session ??= this.resolve();
    const resolved = await this.session;
    if (resolved instanceof ExpiredToken) throw new AppError(Errors.tokenExpired());
    if (!resolved) throw new AppError(Errors.unauthenticated());
    return resolved;
  }

  /** The session once it has been resolved (for response headers); null before or without one. */
  get resolved(): Session | null {
    return this.settled;
  }

  private async resolve(): Promise<Session | ExpiredToken | null> {
    if (!this.token) return null;
    const session = await this.authenticator.authenticate(this.token, this.em, this.client);
    if (session instanceof ExpiredToken) {
      await this.securityLog.tokenExpired(session.userId, session.tokenId, this.client);
    } else if (!session) {
      await this.limits.consume('authFailuresPerAddress', this.clientIp);
    } else {
      this.settled = session;
    }
    return session;
  }
}
