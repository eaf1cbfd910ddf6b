import { Field, ID, ObjectType } from 'type-graphql';
import { graphqlEnum } from '../../graphql/enums';
import { PROVIDERS, type Provider } from './api-key.entity';
import { API_KEY_STATUSES, type ApiKeyStatus } from './api-key.service';

export const ProviderEnum = graphqlEnum(
  'Provider',
  PROVIDERS,
  'AI providers a key can be brought for.',
);

export const ApiKeyStatusEnum = graphqlEnum(
  'ApiKeyStatus',
  API_KEY_STATUSES,
  '`unreadable`: the stored ciphertext no longer decrypts; add the key again.',
);

@ObjectType('ApiKey', { description: 'A provider key the viewer brought (BYOK), shown masked.' })
export class ApiKeyType {
  @Field(() => ID)
  id!: string;

  @Field(() => ProviderEnum)
  provider!: Provider;

  @Field(() => String, { nullable: true })
  name!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'A short prefix and the last 4 characters, e.g. `sk-proj-…c123`. Null when unreadable.',
  })
  maskedKey!: string | null;

  @Field(() => ApiKeyStatusEnum)
  status!: ApiKeyStatus;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}
