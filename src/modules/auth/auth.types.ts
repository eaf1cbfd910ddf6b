import { Field, ID, ObjectType } from 'type-graphql';
import { Viewer } from '../viewer/viewer.type';

@ObjectType('AccessToken', {
  description: 'Metadata of a Bearer credential; never the token itself.',
})
export class AccessTokenInfo {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, {
    nullable: true,
    description: 'Last request made with the token (updated at most once a minute).',
  })
  lastUsedAt!: Date | null;
}

@ObjectType()
export class AuthPayload {
  @Field(() => String, {
    description: 'The Bearer token. It is shown only here: store it now.',
  })
  token!: string;

  @Field(() => AccessTokenInfo)
  accessToken!: AccessTokenInfo;

  @Field(() => Viewer)
  viewer!: Viewer;
}

@ObjectType()
export class ChangePasswordPayload {
  @Field(() => String)
  message!: string;

  @Field(() => Viewer)
  viewer!: Viewer;
}
