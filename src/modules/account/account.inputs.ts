import { IsEmail, IsOptional, MaxLength } from 'class-validator';
import { ArgsType, Field, InputType } from 'type-graphql';
import { ValidationMessages } from '../../common/errors';
import { Limits, NotBlank } from '../../common/validation';
import { IsPassword, PASSWORD_MAX_LENGTH } from '../../users/password-policy';

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
