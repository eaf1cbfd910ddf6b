import { Field, ID, ObjectType } from 'type-graphql';
import { AccessTokenType } from '../access-tokens/access-token.types';
import { Viewer } from '../viewer/viewer.type';

@ObjectType('AuthPayload')
export class AuthPayloadType {
  @Field(() => String, {
    description: 'The Bearer token. It is shown only here: store it now.',
  })
  token!: string;

  @Field(() => AccessTokenType)
  accessToken!: AccessTokenType;

  @Field(() => Viewer)
  viewer!: Viewer;
}

@ObjectType('ChangePasswordPayload')
export class ChangePasswordPayloadType {
  @Field(() => String)
  message!: string;

  @Field(() => Viewer)
  viewer!: Viewer;
}

@ObjectType('DeleteAccountPayload')
export class DeleteAccountPayloadType {
  @Field(() => ID)
  deletedUserId!: string;

  @Field(() => String)
  message!: string;
}
