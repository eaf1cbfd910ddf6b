import type { Log } from '../../logger';
import type { PreparedStatements } from '../../db/adapter';

/** Conditional, so that instances flushing the same token write it once a minute. */
const TOUCH = {
  name: 'account_touch_tokens_v1',
  text: `update access_tokens set last_used_at = now()
         where id = any($1::text[])
           and (last_used_at is null or last_used_at < now() - interval '1 minute')`,
};

/**
 * `lastUsedAt` without a write on the request's path: tokens due a refresh
 * (the authentication query says which: unused for a minute) are collected
 * and written together every few seconds, and on shutdown. `lastUsedAt` is
 * therefore exact to about a minute, which is what it promises.
 */
export class TokenUsage {
  private pending = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly statements: PreparedStatements,
    private readonly log: Log,
    intervalMs = 5_000,
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  record(tokenId: string): void {
    this.pending.add(tokenId);
    if (this.pending.size >= 1_000) void this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const ids = [...this.pending];
    this.pending = new Set();
    try {
      await this.statements.query(TOUCH.name, TOUCH.text, [ids]);
    } catch (error) {
      // Only bookkeeping is lost; the next use records the tokens again.
      this.log.warn(
        { err: { name: (error as Error).name }, tokens: ids.length },
        'could not record token use',
      );
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
