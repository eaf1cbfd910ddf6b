import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError, Errors, type PublicError } from '../common/errors';
import { isDatabaseUnavailable } from './db/errors';
import type { RateLimitStore } from './db/sql';

export interface RateLimitPolicy {
  /** Attempts allowed per window. */
  points: number;
  /** Window, in seconds. */
  duration: number;
  /** Once exceeded, refuse for this long (seconds); default: the rest of the window. */
  blockDuration?: number;
}

/**
 * Whom a key counts for, when that can be deleted (an account): checked
 * after counting, so that an attempt racing its owner's deletion leaves no
 * row behind. `exists` must wait for a deletion in progress (a row lock),
 * and `gone` says what the request is answered then.
 */
export interface KeyOwner {
  exists(): Promise<boolean>;
  gone(): PublicError;
}

/**
 * Throttles kept in PostgreSQL (rate-limiter-flexible's store, table
 * `rate_limits`), so that each holds across instances. Each attempt is
 * counted atomically before the work it guards, so that racing requests
 * cannot slip past a limit together. The policies are data: what each limit
 * allows is decided by whoever builds this (see `RATE_LIMITS` in config.ts).
 */
export class RateLimits<Name extends string = string> {
  private readonly limiters: Record<Name, RateLimiterPostgres>;
  /** Told of every refused attempt (the metrics count them by limit). */
  onRefused: ((name: Name) => void) | undefined;

  constructor(store: RateLimitStore, policies: Readonly<Record<Name, RateLimitPolicy>>) {
    this.limiters = Object.fromEntries(
      Object.entries<RateLimitPolicy>(policies).map(([name, policy]) => [
        name,
        new RateLimiterPostgres({
          ...store,
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
    ) as Record<Name, RateLimiterPostgres>;
  }

  /**
   * Counts one attempt; throws RATE_LIMITED (with Retry-After) beyond the
   * limit. With an `owner`, the count is taken back, and the request refused
   * as `owner.gone()` says, when the owner no longer exists once counted: its
   * deletion removed its rows, and a count that landed after that must not
   * bring one back.
   */
  async consume(name: Name, key: string, owner?: KeyOwner): Promise<void> {
    if (!owner) return this.store(() => this.limiters[name].consume(key), name);
    const counted = await this.store(() => this.limiters[name].consume(key), name).then(
      () => undefined,
      (refusal: unknown) => ({ refusal }),
    );
    if (!(await owner.exists())) {
      await this.store(() => this.limiters[name].delete(key));
      throw new AppError(owner.gone());
    }
    if (counted) throw counted.refusal;
  }

  /** Gives back the attempt just counted (it succeeded: only failures should count). */
  async refund(name: Name, key: string): Promise<void> {
    await this.store(() => this.limiters[name].reward(key, 1));
  }

  /** Forgets the attempts counted for `key` (a successful password check). */
  async reset(name: Name, key: string): Promise<void> {
    await this.store(() => this.limiters[name].delete(key));
  }

  /**
   * The `rate_limits` rows that would count for `keys` under every limit:
   * deleted with whatever those keys name (an account), to leave no row of it.
   */
  storedKeys(keys: readonly string[]): string[] {
    return Object.keys(this.limiters).flatMap((name) => keys.map((key) => `${name}:${key}`));
  }

  private async store(operation: () => Promise<unknown>, limit?: Name): Promise<void> {
    try {
      await operation();
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        if (limit !== undefined) this.onRefused?.(limit);
        throw new AppError(
          Errors.rateLimited(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000))),
        );
      }
      // The store failed. It may reject with a plain object, which must not
      // reach GraphQL as an "unexpected error value".
      if (isDatabaseUnavailable(rejection)) throw new AppError(Errors.serviceUnavailable());
      throw rejection instanceof Error
        ? rejection
        : new Error('rate-limit store failed', { cause: rejection });
    }
  }
}
