import type { PreparedStatements } from '../infra/db/sql';
import type { Log } from '../infra/logger';
import { AccessToken } from './access-token.entity';
import type { ClientInfo } from './client';

/**
 * `lastUsedAt` without a write on the request's path: tokens due a refresh
 * (the authentication query says which: unused for a minute) are collected
 * and written together every few seconds, and on shutdown. `lastUsedAt` is
 * therefore exact to about a minute, which is what it promises.
 */
export class TokenUsage {
  private pending = new Map<string, ClientInfo>();
  private readonly timer: NodeJS.Timeout;
  /** Conditional, so that instances flushing the same token write it once a minute. */
  private readonly touch: { name: string; text: string };

  constructor(
    private readonly statements: PreparedStatements,
    private readonly log: Log,
    intervalMs = 5_000,
  ) {
    const t = statements.columns(AccessToken);
    const lastUsed = t.column('lastUsedAt');
    this.touch = {
      name: 'account_touch_tokens_v2',
      text: `update ${t.table} t set ${lastUsed} = now(),
                    ${t.column('lastUsedIp')} = u.ip, ${t.column('lastUsedUserAgent')} = u.user_agent
             from unnest($1::text[], $2::text[], $3::text[]) as u(id, ip, user_agent)
             where t.${t.column('id')} = u.id
               and (t.${lastUsed} is null or t.${lastUsed} < now() - interval '1 minute')`,
    };
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  record(tokenId: string, client: ClientInfo): void {
    this.pending.set(tokenId, client);
    if (this.pending.size >= 1_000) void this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const uses = [...this.pending];
    this.pending = new Map();
    const ids = uses.map(([id]) => id);
    try {
      await this.statements.query(this.touch.name, this.touch.text, [
        ids,
        uses.map(([, client]) => client.ip),
        uses.map(([, client]) => client.userAgent),
      ]);
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
