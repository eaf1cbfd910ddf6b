import type { EntityManager } from '@mikro-orm/postgresql';
import { newId } from '../../common/ids';
import type { User } from '../users/user.entity';

/** At most one recorded activity per user in this window. */
export const ACTIVITY_WINDOW_MS = 5 * 60 * 1000;

export interface ActivityPing {
  /** Whether this ping was recorded (false inside the window: nothing written). */
  recorded: boolean;
  lastActiveAt: Date;
  nextRecordableAt: Date;
}

export class ActivityService {
  constructor(private readonly em: EntityManager) {}

  /**
   * One statement decides and writes: the conditional UPDATE takes the user's
   * row lock, so of any number of concurrent pings, on any number of
   * instances, exactly one finds the window open; the event is inserted by
   * the same statement. The database clock is the only clock involved.
   */
  async record(user: User): Promise<ActivityPing> {
    const [bumped] = await this.em.execute<{ recorded_ms: number }[]>(
      `with bumped as (
         update users set last_active_at = now()
         where id = ? and (last_active_at is null
                           or last_active_at <= now() - make_interval(secs => ?))
         returning last_active_at
       )
       insert into activity_events (id, user_id, recorded_at)
       select ?, ?, last_active_at from bumped
       returning (extract(epoch from recorded_at) * 1000)::float8 as recorded_ms`,
      [user.id, ACTIVITY_WINDOW_MS / 1000, newId('act'), user.id],
    );
    let lastActiveAt: Date;
    if (bumped) {
      lastActiveAt = new Date(bumped.recorded_ms);
    } else {
      const [row] = await this.em.execute<{ last_active_ms: number }[]>(
        'select (extract(epoch from last_active_at) * 1000)::float8 as last_active_ms from users where id = ?',
        [user.id],
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
