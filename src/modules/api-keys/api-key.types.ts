import { Field, ID, ObjectType } from 'type-graphql';
import { graphqlEnum } from '../../graphql/enums';
import { PROVIDERS, type Provider } from './api-key.entity';
import { API_KEY_STATUSES, type ApiKeyStatus } from './api-key.service';
import { KEY_CHECK_REASONS, type KeyCheckReason } from './key-check';

export const ProviderEnum = graphqlEnum(
  'Provider',
  PROVIDERS,
  'AI providers a key can be brought for.',
);

export const ApiKeyStatusEnum = graphqlEnum(
  'ApiKeyStatus',
  API_KEY_STATUSES,
  'What the latest check against the provider concluded. `valid`: the provider accepted the key. ' +
    '`invalid`: the provider refused it (see `statusReason`); replace it. ' +
    '`unverified`: the provider could not be asked or gave no clear answer (see `statusReason`); ' +
    '`validateApiKey` asks again. `unreadable`: the stored ciphertext no longer decrypts; add the key again.',
);

export const ApiKeyStatusReasonEnum = graphqlEnum(
  'ApiKeyStatusReason',
  KEY_CHECK_REASONS,
  'Why a key is `invalid` (AUTHENTICATION_FAILED, PERMISSION_DENIED, WRONG_FORMAT) or `unverified` (the others).',
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

  @Field(() => ApiKeyStatusReasonEnum, {
    nullable: true,
    description: 'Why the status is `invalid` or `unverified`; null when `valid` or `unreadable`.',
  })
  statusReason!: KeyCheckReason | null;

  @Field(() => Date, {
    nullable: true,
    description: 'When the provider last accepted or refused the key; null if it never answered.',
  })
  lastValidatedAt!: Date | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}
