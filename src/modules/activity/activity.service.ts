import { newId } from '../../common/ids';
import type { DatabaseInstant } from '../../db/database-clock';
import type { PreparedStatements } from '../../db/adapter';

/** At most one recorded activity per user in this window. */
export const ACTIVITY_WINDOW_MS = 5 * 60 * 1000;

export interface ActivityPing {
  /** Whether this ping was recorded (false inside the window: nothing written). */
  recorded: boolean;
  lastActiveAt: Date;
  nextRecordableAt: Date;
}

/** $1 user id, $2 window in seconds, $3 the new event's id. */
const RECORD = {
  name: 'account_record_activity_v1',
  text: `with bumped as (
           update users set last_active_at = now()
           where id = $1 and (last_active_at is null
                              or last_active_at <= now() - make_interval(secs => $2))
           returning last_active_at
         )
         insert into activity_events (id, user_id, recorded_at)
         select $3, $1, last_active_at from bumped
         returning (extract(epoch from recorded_at) * 1000)::float8 as recorded_ms`,
};

/**
 * A statement of its own (not part of the one above): if a concurrent ping
 * held the row, this one sees what that ping committed.
 */
const LAST_ACTIVE = {
  name: 'account_last_active_v1',
  text: `select (extract(epoch from last_active_at) * 1000)::float8 as last_active_ms
         from users where id = $1`,
};

/** What the request already knows of the user: its session's snapshot. */
export interface KnownActivity {
  userId: string;
  lastActiveAt: Date | null;
  /** When the database read `lastActiveAt`. */
  readAt: DatabaseInstant;
}

/** Pings are frequent: both statements are named prepared statements. */
export class ActivityService {
  constructor(private readonly statements: PreparedStatements) {}

  /**
   * One statement decides and writes: the conditional UPDATE takes the user's
   * row lock, so of any number of concurrent pings, on any number of
   * instances, exactly one finds the window open; the event is inserted by
   * the same statement. The database clock is the only clock involved.
   *
   * Most pings land inside the window, and those need no statement at all:
   * `lastActiveAt` only ever moves when the window is open, so if the window
   * the session's snapshot shows is still open by the database's clock at the
   * latest (DatabaseInstant: no local wall clock involved), nothing can have
   * moved it since, and the answer is the one the database would give.
   */
  async record(known: KnownActivity): Promise<ActivityPing> {
    const { lastActiveAt } = known;
    if (lastActiveAt && known.readAt.latestNow() < lastActiveAt.getTime() + ACTIVITY_WINDOW_MS) {
      return {
        recorded: false,
        lastActiveAt,
        nextRecordableAt: new Date(lastActiveAt.getTime() + ACTIVITY_WINDOW_MS),
      };
    }
    return this.recordNow(known.userId);
  }

  private async recordNow(userId: string): Promise<ActivityPing> {
    const [bumped] = await this.statements.query<{ recorded_ms: number }>(
      RECORD.name,
      RECORD.text,
      [userId, ACTIVITY_WINDOW_MS / 1000, newId('act')],
    );
    let lastActiveAt: Date;
    if (bumped) {
      lastActiveAt = new Date(bumped.recorded_ms);
    } else {
      const [row] = await this.statements.query<{ last_active_ms: number | null }>(
        LAST_ACTIVE.name,
        LAST_ACTIVE.text,
        [userId],
      );
      lastActiveAt = new Date(row?.last_active_ms ?? Date.now());
    }
    return {
      recorded: bumped !== undefined,
      lastActiveAt,
      nextRecordableAt: new Date(lastActiveAt.getTime() + ACTIVITY_WINDOW_MS),
    };
  }
}
