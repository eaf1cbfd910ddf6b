import { ArrayMaxSize, ArrayMinSize, IsEmail, IsOptional, MaxLength } from 'class-validator';
import { ArgsType, Field, InputType } from 'type-graphql';
import { ValidationMessages } from '../../common/errors';
import { Limits, NotBlank } from '../../common/validation';
import { TOKEN_SCOPES, type TokenScope } from '../../auth/scopes';
import { IsPassword, PASSWORD_MAX_LENGTH } from '../../users/password-policy';
import { TokenExpiryEnum, TokenScopeEnum } from '../access-tokens/access-token.types';
import type { TokenExpiryPreset } from '../access-tokens/token-options';

const EXPIRES_IN =
  'How long the new token lives (default NEVER; a server with ACCESS_TOKEN_MAX_DAYS caps it and refuses NEVER).';
const SCOPES = 'What the new token may do (default: every scope).';

@InputType()
export class SignUpInput {
  @Field(() => String)
  @MaxLength(Limits.email)
  @IsEmail({}, { message: ValidationMessages.email })
  email!: string;

  @Field(() => String, {
    description: 'At least 8 characters, with an uppercase letter A-Z and a digit 0-9.',
  })
  @IsPassword()
  password!: string;

  @Field(() => String, { description: 'Display name, 1-255 characters.' })
  @MaxLength(Limits.name)
  @NotBlank()
  name!: string;

  @Field(() => TokenExpiryEnum, { nullable: true, description: EXPIRES_IN })
  expiresIn?: TokenExpiryPreset | null;

  @Field(() => [TokenScopeEnum], { nullable: true, description: SCOPES })
  @IsOptional()
  @ArrayMinSize(1, { message: ValidationMessages.atLeastOneScope })
  @ArrayMaxSize(TOKEN_SCOPES.length)
  scopes?: TokenScope[] | null;
}

@InputType()
export class CreateAccessTokenInput {
  @Field(() => String)
  @MaxLength(Limits.email)
  email!: string;

  @Field(() => String)
  @MaxLength(PASSWORD_MAX_LENGTH)
  password!: string;

  @Field(() => String, { nullable: true, description: 'A label to recognise the token by.' })
  @IsOptional()
  @MaxLength(Limits.tokenName)
  @NotBlank()
  name?: string | null;

  @Field(() => TokenExpiryEnum, { nullable: true, description: EXPIRES_IN })
  expiresIn?: TokenExpiryPreset | null;

  @Field(() => [TokenScopeEnum], { nullable: true, description: SCOPES })
  @IsOptional()
  @ArrayMinSize(1, { message: ValidationMessages.atLeastOneScope })
  @ArrayMaxSize(TOKEN_SCOPES.length)
  scopes?: TokenScope[] | null;

  @Field(() => Boolean, {
    nullable: true,
    description:
      "At the plan's active-token limit, revoke the least recently used token to make room (in the same transaction) instead of refusing.",
  })
  revokeLeastRecentlyUsed?: boolean | null;
}

@InputType()
export class ChangePasswordInput {
  @Field(() => String)
  @MaxLength(PASSWORD_MAX_LENGTH)
  currentPassword!: string;

  @Field(() => String, {
    description: 'At least 8 characters, with an uppercase letter A-Z and a digit 0-9.',
  })
  @IsPassword()
  newPassword!: string;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'Also revoke every other access token of the account, atomically with the change (default false: they stay valid).',
  })
  revokeOtherTokens?: boolean | null;
}

@ArgsType()
export class DeleteAccountArgs {
  @Field(() => String)
  @MaxLength(Limits.email)
  confirmEmail!: string;
}

@InputType()
export class RequestEmailChangeInput {
  @Field(() => String, { description: 'The new address; a confirmation link is mailed to it.' })
  @MaxLength(Limits.email)
  @IsEmail({}, { message: ValidationMessages.email })
  newEmail!: string;

  @Field(() => String)
  @MaxLength(PASSWORD_MAX_LENGTH)
  currentPassword!: string;
}
