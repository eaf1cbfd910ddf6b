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

export const PROVIDERS = ['openai', 'anthropic', 'gemini'] as const;
export type Provider = (typeof PROVIDERS)[number];

/**
 * A user's own AI-provider key (BYOK), stored only as AES-256-GCM ciphertext
 * under the master key named by `keyVersion`. One per user and provider.
 */
@Entity({ tableName: 'api_keys' })
@Unique({ name: 'api_keys_user_provider_unique', properties: ['user', 'provider'] })
@Check({ name: 'api_keys_iv_length', expression: 'octet_length(iv) = 12' })
@Check({ name: 'api_keys_auth_tag_length', expression: 'octet_length(auth_tag) = 16' })
export class ApiKey extends TimestampedEntity<'name'> {
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
}
