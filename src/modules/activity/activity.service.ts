import { newId } from '../../common/ids';
import type { PreparedStatements } from '../../db/prepared';

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

/** Pings are frequent: both statements are named prepared statements. */
export class ActivityService {
  constructor(private readonly statements: PreparedStatements) {}

  /**
   * One statement decides and writes: the conditional UPDATE takes the user's
   * row lock, so of any number of concurrent pings, on any number of
   * instances, exactly one finds the window open; the event is inserted by
   * the same statement. The database clock is the only clock involved.
   */
  async record(userId: string): Promise<ActivityPing> {
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
