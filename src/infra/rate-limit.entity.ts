import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * The counters of rate-limiter-flexible's PostgreSQL store, shared by every
 * instance. Declared here only so that the table is created by a migration
 * like every other; the limiter reads and writes it itself.
 */
@Entity({ tableName: 'rate_limits' })
export class RateLimit {
  @PrimaryKey({ type: 'string', length: 255 })
  key!: string;

  @Property({ type: 'integer', default: 0 })
  points: number = 0;

  /** Epoch milliseconds when the window ends. */
  @Property({ type: 'bigint', nullable: true })
  expire: string | null = null;
}
