import { Directive, Field, ID, ObjectType } from 'type-graphql';

/**
 * A user as others may see them: the entity this service owns in a
 * federated graph (`@key(fields: "id")`), which other subgraphs extend with
 * fields of their own. Only public fields: never the email, plan or anything
 * the profile keeps for its owner.
 */
@Directive('@key(fields: "id")')
@ObjectType('User', { description: 'A user as others may see them: the public face only.' })
export class UserType {
  @Field(() => ID)
  id: string;

  @Field(() => String)
  name: string;

  @Field(() => String, { nullable: true })
  avatarUrl: string | null;

  /** A fresh object each time: Apollo's entity resolution writes `__typename` on it. */
  constructor(user: { id: string; name: string; avatarUrl: string | null }) {
    this.id = user.id;
    this.name = user.name;
    this.avatarUrl = user.avatarUrl;
  }
}
