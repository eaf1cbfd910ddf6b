import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { rateLimited, serviceUnavailable } from '../../common/errors';
import type { DatabasePool } from '../../db/adapter';
import { isDatabaseUnavailable } from '../../db/errors';
import { LIMIT_NAMES, POLICIES, type LimitName, type Policy } from './policies';

/** The password-attempt budget of an account: its id, or its email when there is no such account. */
export const accountKey = (userId: string | undefined, email: string): string =>
  userId ?? `email:${email}`;

export class RateLimits {
  private readonly limiters: Record<LimitName, RateLimiterPostgres>;

  /** `pool`: the ORM's own; the store sends named statements with $n parameters. */
  constructor(pool: DatabasePool, overrides: Partial<Record<LimitName, Policy>> = {}) {
    this.limiters = Object.fromEntries(
      Object.entries({ ...POLICIES, ...overrides }).map(([name, policy]: [string, Policy]) => [
        name,
        new RateLimiterPostgres({
          storeClient: pool,
          storeType: 'pool',
          tableName: 'rate_limits',
          tableCreated: true, // by migration
          keyPrefix: name,
          points: policy.points,
          duration: policy.duration,
          blockDuration: policy.blockDuration ?? 0,
          // A key over its limit is refused from memory, without a database round trip.
          inMemoryBlockOnConsumed: policy.points + 1,
          inMemoryBlockDuration: policy.blockDuration ?? policy.duration,
        }),
      ]),
    ) as Record<LimitName, RateLimiterPostgres>;
  }

  /** Counts one attempt; throws RATE_LIMITED (with Retry-After) beyond the limit. */
  async consume(name: LimitName, key: string): Promise<void> {
    await this.store(() => this.limiters[name].consume(key));
  }

  /** Gives back the attempt just counted (it succeeded: only failures should count). */
  async refund(name: LimitName, key: string): Promise<void> {
    await this.store(() => this.limiters[name].reward(key, 1));
  }

  /**
   * The stored counter keys that name an account (by id, or by email for
   * sign-in attempts): deleted with the account, which leaves no row of it.
   */
  static accountKeys(userId: string, email: string): string[] {
    return [
      ...LIMIT_NAMES.map((name) => `${name}:${userId}`),
      `passwordAttempts:${accountKey(undefined, email)}`,
    ];
  }

  /** Forgets the attempts counted for `key` (a successful password check). */
  async reset(name: LimitName, key: string): Promise<void> {
    await this.store(() => this.limiters[name].delete(key));
  }

  private async store(operation: () => Promise<unknown>): Promise<void> {
    try {
      await operation();
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        throw rateLimited(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
      }
      // The store failed. It may reject with a plain object, which must not
      // reach GraphQL as an "unexpected error value".
      if (isDatabaseUnavailable(rejection)) throw serviceUnavailable();
      throw rejection instanceof Error
        ? rejection
        : new Error('rate-limit store failed', { cause: rejection });
    }
  }
}
