import pg from 'pg';
import type { DatabaseInstant } from '../../db/database-clock';
import type { Log } from '../../logger';
import type { UserSnapshot } from './authenticator';

/** Channel of the database triggers on `users` and `access_tokens` (see the migration). */
export const AUTH_CHANGED_CHANNEL = 'account_auth_changed';

export interface CachedSession {
  tokenId: string;
  /** The user's columns, mapped to the entity's properties, frozen. */
  profile: UserSnapshot;
  /** When the database read them. */
  readAt: DatabaseInstant;
}

interface Entry extends CachedSession {
  expiresAt: number;
}

/**
 * A short-lived cache of Bearer-token lookups (token hash -> user snapshot), so
 * that the hottest query of all is not run on every request.
 *
 * It is kept true across instances by PostgreSQL itself: triggers on `users`
 * (any change or deletion) and `access_tokens` (revocation or deletion) send
 * `NOTIFY account_auth_changed, <user id>` when their transaction commits,
 * and every instance LISTENs on a connection of its own and drops that user's
 * entries. The instance that made the change also drops them locally at
 * once. The notification is sent at commit to every listener, so another
 * instance stops accepting a revoked token as soon as it has read it — a
 * millisecond, not a TTL. The TTL only bounds how long a row can be served.
 *
 * Fail-safe: while the LISTEN connection is down (or not yet up) nothing is
 * served from or written to the cache, and it is emptied whenever the
 * connection is lost, since notifications may have been missed.
 */
export class AuthCache {
  private readonly entries = new Map<string, Entry>();
  private readonly byUser = new Map<string, Set<string>>();
  /** Notification counter, and the counter at each user's latest notification. */
  private generation = 0;
  private readonly notifiedAt = new Map<string, number>();
  /** Lookups marked before this are not cached, whoever they read (see `clear`). */
  private floor = 0;
  private listener: pg.Client | undefined;
  private listening = false;
  private closed = false;
  private retryMs = 500;
  /** The next reconnection attempt, cancelled by close(). */
  private retry: NodeJS.Timeout | undefined;
  private readonly retired = new WeakSet<pg.Client>();

  constructor(
    /** Where to LISTEN, and how long opening that connection may take. */
    private readonly database: { url: string; connectTimeoutMs: number },
    private readonly ttlMs: number,
    private readonly log: Log,
    private readonly maxEntries = 20_000,
  ) {}

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  /** For health and tests: whether it serves now, and how many tokens it holds. */
  stats(): { enabled: boolean; serving: boolean; size: number } {
    return { enabled: this.enabled, serving: this.listening, size: this.entries.size };
  }

  async start(): Promise<void> {
    if (this.enabled) await this.listen();
  }

  get(tokenHash: string): CachedSession | undefined {
    if (!this.listening) return undefined;
    const entry = this.entries.get(tokenHash);
    if (!entry) return undefined;
    if (entry.expiresAt > Date.now()) return entry;
    this.drop(tokenHash, entry.profile.id);
    return undefined;
  }

  /** A mark to pass to `set`, taken before the database lookup. */
  mark(): number {
    return this.generation;
  }

  /**
   * Caches a lookup made after `since`, unless a change of that user was
   * notified meanwhile (the row read may predate it), or the cache was
   * emptied meanwhile.
   */
  set(tokenHash: string, session: CachedSession, since: number): void {
    if (!this.listening || since < this.floor) return;
    const userId = session.profile.id;
    if ((this.notifiedAt.get(userId) ?? -1) > since) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.entries().next().value;
      if (oldest) this.drop(oldest[0], oldest[1].profile.id);
    }
    this.entries.set(tokenHash, { ...session, expiresAt: Date.now() + this.ttlMs });
    let hashes = this.byUser.get(userId);
    if (!hashes) this.byUser.set(userId, (hashes = new Set()));
    hashes.add(tokenHash);
  }

  /** Drops every cached token of a user (it changed, or it was revoked or deleted). */
  evictUser(userId: string): void {
    this.generation++;
    this.notifiedAt.set(userId, this.generation);
    for (const hash of this.byUser.get(userId) ?? []) this.entries.delete(hash);
    this.byUser.delete(userId);
    // Bounded: forgetting the marks refuses every lookup in flight instead.
    if (this.notifiedAt.size > 10_000) {
      this.notifiedAt.clear();
      this.floor = this.generation;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listening = false;
    clearTimeout(this.retry);
    await this.listener?.end().catch(() => undefined);
  }

  private drop(tokenHash: string, userId: string): void {
    this.entries.delete(tokenHash);
    const hashes = this.byUser.get(userId);
    hashes?.delete(tokenHash);
    if (hashes?.size === 0) this.byUser.delete(userId);
  }

  /** Everything may be stale (notifications were missed): lookups in flight too. */
  private clear(): void {
    this.floor = ++this.generation;
    this.entries.clear();
    this.byUser.clear();
  }

  private async listen(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({
      connectionString: this.database.url,
      connectionTimeoutMillis: this.database.connectTimeoutMs,
      keepAlive: true,
      application_name: 'account-api-auth-cache',
    });
    client.on('notification', (message) => {
      if (message.payload) this.evictUser(message.payload);
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`listen ${AUTH_CHANGED_CHANNEL}`);
      // close() may have run while this connection was being opened.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (this.closed) {
        this.retired.add(client);
        await client.end();
        return;
      }
      this.listener = client;
      this.clear();
      this.listening = true;
      this.retryMs = 500;
    } catch {
      this.lost(client);
    }
  }

  /** The listener is gone: serve nothing from the cache until it is back. */
  private lost(client: pg.Client): void {
    if (this.retired.has(client)) return; // 'error' and 'end' both report it
    this.retired.add(client);
    const wasListening = this.listening;
    this.listening = false;
    this.listener = undefined;
    this.clear();
    client.removeAllListeners('end');
    void client.end().catch(() => undefined);
    if (this.closed) return;
    if (wasListening) this.log.warn('auth cache disabled: its LISTEN connection was lost');
    this.retry = setTimeout(() => void this.listen(), this.retryMs);
    this.retry.unref();
    this.retryMs = Math.min(this.retryMs * 2, 30_000);
  }
}
