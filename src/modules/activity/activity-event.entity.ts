import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { newId } from '../../common/ids';
import { User } from '../../users/user.entity';

/** One recorded activity: at most one per user every five minutes. */
@Entity({ tableName: 'activity_events' })
@Index({ name: 'activity_events_user_recorded_idx', properties: ['user', 'recordedAt'] })
// The retention purge finds what outlived 13 months by this (src/modules/account/retention.ts).
@Index({ name: 'activity_events_recorded_at_idx', properties: ['recordedAt'] })
export class ActivityEvent {
  @PrimaryKey({ type: 'text' })
  id: string = newId('act');

  @ManyToOne(() => User, { deleteRule: 'cascade', updateRule: 'cascade' })
  user!: User;

  @Property({ type: 'datetime' })
  recordedAt!: Date;
}
