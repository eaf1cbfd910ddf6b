import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { newId } from '../common/ids';
import { TimestampedEntity } from '../infra/db/base.entity';
import { User } from '../users/user.entity';
import { TOKEN_SCOPES, type TokenScope } from './scopes';

/** Longest user agent kept with a token (`lastUsedUserAgent`). */
export const USER_AGENT_MAX_LENGTH = 200;

/**
 * A Bearer credential. Only the SHA-256 of the token is stored; the plaintext
 * is shown once, when the token is created.
 */
@Entity({ tableName: 'access_tokens' })
@Index({ name: 'access_tokens_user_active_idx', properties: ['user', 'revokedAt'] })
// The retention purge finds tokens dead for 90 days by these (src/modules/account/retention.ts).
@Index({
  name: 'access_tokens_revoked_at_idx',
  expression: `create index "access_tokens_revoked_at_idx" on "access_tokens" ("revoked_at") where "revoked_at" is not null`,
})
@Index({
  name: 'access_tokens_expires_at_idx',
  expression: `create index "access_tokens_expires_at_idx" on "access_tokens" ("expires_at") where "expires_at" is not null`,
})
export class AccessToken extends TimestampedEntity<
  'lastUsedAt' | 'revokedAt' | 'expiresAt' | 'scopes' | 'lastUsedIp' | 'lastUsedUserAgent'
> {
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

  /** When the token stops working; null: never. */
  @Property({ type: 'datetime', nullable: true })
  expiresAt: Date | null = null;

  /** What the token may do (src/auth/scopes.ts); tokens made before scopes existed have all. */
  @Enum({
    items: () => [...TOKEN_SCOPES],
    array: true,
    default: [...TOKEN_SCOPES],
  })
  scopes: TokenScope[] = [...TOKEN_SCOPES];

  /** The client address of the last use, truncated (IPv4 /24, IPv6 /48); refreshed with `lastUsedAt`. */
  @Property({ type: 'text', nullable: true, length: 64 })
  lastUsedIp: string | null = null;

  /** The user agent of the last use, cut to USER_AGENT_MAX_LENGTH characters; refreshed with `lastUsedAt`. */
  @Property({ type: 'text', nullable: true })
  lastUsedUserAgent: string | null = null;
}
