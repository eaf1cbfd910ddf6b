import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, Errors } from '../common/errors';
import type { LimitName } from '../config';
import type { RateLimits } from '../infra/rate-limits';
import type { Authenticator } from './authenticator';
import type { Session } from './session';

/**
 * Authentication of one request, the same on both faces: resolved on first
 * use and then remembered, so operations that need no viewer (signUp) never
 * touch the token table. Invalid tokens are counted per client address
 * across instances; past the limit the answer is RATE_LIMITED instead of
 * UNAUTHENTICATED.
 */
export class RequestAuth {
  private session: Promise<Session | null> | undefined;

  constructor(
    /** The Bearer token the request carries, if any. */
    private readonly token: string | undefined,
    private readonly authenticator: Authenticator,
    /** The request's EntityManager (made on first use), should the session need its entity. */
    private readonly em: () => EntityManager,
    private readonly limits: RateLimits<LimitName>,
    private readonly clientIp: string,
  ) {}

  current(): Promise<Session | null> {
    this.session ??= this.resolve();
    return this.session;
  }

  async require(): Promise<Session> {
    const session = await this.current();
    if (!session) throw new AppError(Errors.unauthenticated());
    return session;
  }

  private async resolve(): Promise<Session | null> {
    if (!this.token) return null;
    const session = await this.authenticator.authenticate(this.token, this.em);
    if (!session) await this.limits.consume('authFailuresPerAddress', this.clientIp);
    return session;
  }
}
