import { performance } from 'node:perf_hooks';

/**
 * A moment on the database's clock, as a query saw it (`now()`), tied to the
 * local monotonic clock at the moment that query was sent. The statement ran
 * after it was sent, so `databaseMs + (local time elapsed since sending)` is
 * never earlier than the database's clock: an upper bound of "now" on the
 * database, known without asking it, and immune to the two machines' clocks
 * disagreeing.
 */
export class DatabaseInstant {
  constructor(
    /** The statement's `now()`, in ms since the epoch (fractional). */
    private readonly databaseMs: number,
    /** `performance.now()` when the statement was sent, or earlier (the bound only loosens). */
    private readonly sentAt: number,
  ) {}

  /** The database's clock now, at the latest (ms since the epoch). */
  latestNow(): number {
    return this.databaseMs + (performance.now() - this.sentAt);
  }
}

/** The local monotonic clock, to pass as `sentAt`. */
export function monotonicNow(): number {
  return performance.now();
}

/** A select-list item giving the statement's `now()` as fractional ms since the epoch. */
export const DATABASE_NOW_MS = '(extract(epoch from now()) * 1000)::float8';
