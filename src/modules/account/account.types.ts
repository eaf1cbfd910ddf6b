import { Field, ID, ObjectType } from 'type-graphql';
import { AccessTokenType } from '../access-tokens/access-token.types';
import type { User } from '../../users/user.entity';

@ObjectType('AuthPayload')
export class AuthPayloadType {
  @Field(() => String, {
    description: 'The Bearer token. It is shown only here: store it now.',
  })
  token!: string;

  @Field(() => AccessTokenType)
  accessToken!: AccessTokenType;

  /** Not a GraphQL field: the account the token is for (the payload's `viewer`). */
  user!: User;
}

@ObjectType('ChangePasswordPayload')
export class ChangePasswordPayloadType {
  @Field(() => String)
  message!: string;

  /** Not a GraphQL field: the user as this change left it (the payload's `viewer`). */
  user!: User;
}

@ObjectType('DeleteAccountPayload')
export class DeleteAccountPayloadType {
  @Field(() => ID)
  deletedUserId!: string;

  @Field(() => String)
  message!: string;
}
