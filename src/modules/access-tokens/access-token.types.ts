import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType('AccessToken', {
  description: 'Metadata of a Bearer credential; never the token itself.',
})
export class AccessTokenType {
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
