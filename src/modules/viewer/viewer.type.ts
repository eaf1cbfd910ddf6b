import { Field, ID, ObjectType } from 'type-graphql';
import type { User } from '../users/user.entity';

/** The authenticated user: the root of everything the API exposes. */
@ObjectType({ description: 'The authenticated user, root of the account graph.' })
export class Viewer {
  @Field(() => ID)
  id: string;

  /** Not a GraphQL field: the loaded user that field resolvers read from. */
  readonly user: User;

  constructor(user: User) {
    this.id = user.id;
    this.user = user;
  }
}
