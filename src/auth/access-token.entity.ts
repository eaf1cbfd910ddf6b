import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { newId } from '../common/ids';
import { TimestampedEntity } from '../infra/db/base.entity';
import { User } from '../users/user.entity';

/**
 * A Bearer credential. Only the SHA-256 of the token is stored; the plaintext
 * is shown once, when the token is created.
 */
@Entity({ tableName: 'access_tokens' })
@Index({ name: 'access_tokens_user_active_idx', properties: ['user', 'revokedAt'] })
export class AccessToken extends TimestampedEntity<'lastUsedAt' | 'revokedAt'> {
  @PrimaryKey({ type: 'text' })
  id: string = newId('tok');

  @ManyToOne(() => User, { deleteRule: 'cascade', updateRule: 'cascade' })
  user!: User;

  @Property({ type: 'text' })
  name!: string;

  /** Hex SHA-256 of the plaintext token, looked up on every request. */
  @Property({ type: 'text', unique: 'access_tokens_token_hash_unique', hidden: true })
  tokenHash!: string;

  @Property({ type: 'datetime', nullable: true })
  lastUsedAt: Date | null = null;

  @Property({ type: 'datetime', nullable: true })
  revokedAt: Date | null = null;
}
