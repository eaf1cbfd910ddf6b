import { Field, ID, ObjectType } from 'type-graphql';
import type { UserSnapshot } from '../../users/user-snapshot';
import type { User } from '../../users/user.entity';
import type { Owned, ViewerReads } from './viewer-reads';

/** Where a viewer's data comes from: a request's session, or a user just written. */
interface ViewerSource {
  readonly user: User;
  readonly profile: UserSnapshot;
}

/** The authenticated user: the root of everything the API exposes. */
@ObjectType('Viewer', { description: 'The authenticated user, root of the account graph.' })
export class ViewerType {
  @Field(() => ID)
  id: string;

  private ownedRows: Promise<Owned> | undefined;

  constructor(private readonly source: ViewerSource) {
    this.id = source.profile.id;
  }

  /** The viewer of a user entity this request loaded or wrote. */
  static of(user: User): ViewerType {
    return new ViewerType({ user, profile: user });
  }

  /** Not a GraphQL field: the user's own columns, all the profile shows. */
  get profile(): UserSnapshot {
    return this.source.profile;
  }

  /**
   * Not a GraphQL field: what the viewer owns, read in one statement on
   * first use and shared by all of this viewer's fields, so one answer shows
   * one moment. A mutation's payload has a viewer of its own, read after the
   * write.
   */
  owned(reads: ViewerReads): Promise<Owned> {
    return (this.ownedRows ??= reads.read(this.id));
  }

  /** Not a GraphQL field: the managed entity, for relations and writes. */
  get user(): User {
    return this.source.user;
  }
}
