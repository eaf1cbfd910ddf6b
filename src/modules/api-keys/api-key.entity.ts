import {
  Check,
  Entity,
  Enum,
  ManyToOne,
  PrimaryKey,
  Property,
  Unique,
} from '@mikro-orm/decorators/legacy';
import { newId } from '../../common/ids';
import { TimestampedEntity } from '../../infra/db/base.entity';
import { User } from '../../users/user.entity';
import {
  KEY_CHECK_REASONS,
  KEY_CHECK_STATUSES,
  type KeyCheckReason,
  type KeyCheckStatus,
} from './key-check';

export const PROVIDERS = ['openai', 'anthropic', 'gemini'] as const;
export type Provider = (typeof PROVIDERS)[number];

/**
 * A user's own AI-provider key (BYOK), stored only as AES-256-GCM ciphertext
 * under the master key named by `keyVersion`. One per user and provider.
 * `checkStatus` is what the latest check against the provider concluded.
 */
@Entity({ tableName: 'api_keys' })
@Unique({ name: 'api_keys_user_provider_unique', properties: ['user', 'provider'] })
@Check({ name: 'api_keys_iv_length', expression: 'octet_length(iv) = 12' })
@Check({ name: 'api_keys_auth_tag_length', expression: 'octet_length(auth_tag) = 16' })
export class ApiKey extends TimestampedEntity<
  'name' | 'checkStatus' | 'statusReason' | 'lastValidatedAt'
> {
  @PrimaryKey({ type: 'text' })
  id: string = newId('key');

  @ManyToOne(() => User, { deleteRule: 'cascade', updateRule: 'cascade' })
  user!: User;

  @Enum({ items: () => [...PROVIDERS] })
  provider!: Provider;

  @Property({ type: 'text', nullable: true })
  name: string | null = null;

  @Property({ type: 'text' })
  keyVersion!: string;

  @Property({ type: 'blob', hidden: true, lazy: true })
  iv!: Buffer;

  @Property({ type: 'blob', hidden: true, lazy: true })
  ciphertext!: Buffer;

  @Property({ type: 'blob', hidden: true, lazy: true })
  authTag!: Buffer;

  /** The latest check's conclusion; rows from before checks existed are `unverified`. */
  @Enum({ items: () => [...KEY_CHECK_STATUSES], default: 'unverified' })
  checkStatus: KeyCheckStatus = 'unverified';

  /** Why the latest check was not `valid`; null when it was. */
  @Enum({ items: () => [...KEY_CHECK_REASONS], nullable: true })
  statusReason: KeyCheckReason | null = null;

  /** When the provider last gave a conclusive answer (accepted or refused the key). */
  @Property({ type: 'datetime', nullable: true })
  lastValidatedAt: Date | null = null;
}
