import { IsOptional, Matches, MaxLength, MinLength } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { ValidationMessages } from '../../common/errors';
import { Limits, NotBlank } from '../../common/validation';
import type { Provider } from './api-key.entity';
import { ProviderEnum } from './api-key.types';

/** Provider keys' length, in characters. */
export const KEY_LIMITS = { min: 8, max: 512 } as const;

@InputType()
export class AddApiKeyInput {
  @Field(() => ProviderEnum)
  provider!: Provider;

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
