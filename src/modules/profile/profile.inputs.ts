import { IsOptional, MaxLength } from 'class-validator';
import { ArgsType, Field, InputType } from 'type-graphql';
import { JSONSchema } from 'class-validator-jsonschema';
import { IsHttpUrl, Limits, NOT_NULL, NotBlank } from '../../common/validation';
import { IsTimeZone } from './timezone';

@InputType({
  description: 'Partial update: an absent field stays as it is; null clears an optional field.',
})
export class UpdateProfileInput {
  @Field(() => String, { nullable: true, description: '1-255 characters; cannot be cleared.' })
  // Absent stays; null is refused by ProfileService (Errors.nameNotClearable).
  @JSONSchema({ [NOT_NULL]: true })
  @IsOptional()
  @MaxLength(Limits.name)
  @NotBlank()
  name?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(Limits.jobTitle)
  jobTitle?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(Limits.bio)
  bio?: string | null;

  @Field(() => String, { nullable: true, description: 'An http(s) URL of an image.' })
  @IsOptional()
  @MaxLength(Limits.url)
  @IsHttpUrl()
  avatarUrl?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(Limits.style)
  preferredStyle?: string | null;
}

@ArgsType()
export class UpdateTimezoneArgs {
  @Field(() => String)
  @IsTimeZone()
  timezone!: string;
}
