import { IsOptional, Matches, MaxLength, MinLength } from 'class-validator';
import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { ValidationMessages } from '../../common/errors';
import { Limits, NotBlank } from '../../common/validation';
import { PROVIDERS, type Provider as ProviderId } from './api-key.entity';
import type { ApiKeyStatus as StatusId } from './api-key.service';

export const Provider = Object.fromEntries(PROVIDERS.map((p) => [p, p])) as {
  [P in ProviderId]: P;
};
registerEnumType(Provider, {
  name: 'Provider',
  description: 'AI providers a key can be brought for.',
});

export const ApiKeyStatus: { [S in StatusId]: S } = { active: 'active', unreadable: 'unreadable' };
registerEnumType(ApiKeyStatus, {
  name: 'ApiKeyStatus',
  description: '`unreadable`: the stored ciphertext no longer decrypts; add the key again.',
});

export const KEY_LIMITS = { min: 8, max: 512 } as const;

@ObjectType('ApiKey', { description: 'A provider key the viewer brought (BYOK), shown masked.' })
export class ApiKeyType {
  @Field(() => ID)
  id!: string;

  @Field(() => Provider)
  provider!: ProviderId;

  @Field(() => String, { nullable: true })
  name!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'A short prefix and the last 4 characters, e.g. `sk-proj-…c123`. Null when unreadable.',
  })
  maskedKey!: string | null;

  @Field(() => ApiKeyStatus)
  status!: StatusId;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}

@InputType()
export class AddApiKeyInput {
  @Field(() => Provider)
  provider!: ProviderId;

  @Field(() => String, {
    description: 'The provider key. Encrypted before storage and never shown again in full.',
  })
  @MinLength(KEY_LIMITS.min)
  @MaxLength(KEY_LIMITS.max)
  @Matches(/^[\x21-\x7e]+$/, { message: ValidationMessages.printableKey })
  key!: string;

  @Field(() => String, { nullable: true, description: 'A display name.' })
  @IsOptional()
  @MaxLength(Limits.tokenName)
  @NotBlank()
  name?: string | null;
}
