import { Field, ID, ObjectType } from 'type-graphql';
import type { UserSnapshot } from '../../users/user-snapshot';
import type { Owned, ViewerReads } from './viewer-reads';

/** The authenticated user: the root of everything the API exposes. */
@ObjectType('Viewer', { description: 'The authenticated user, root of the account graph.' })
export class ViewerType {
  @Field(() => ID)
  id: string;

  private ownedRows: Promise<Owned> | undefined;

  /**
   * `profile`: the user's own columns, all the profile shows: the session's
   * snapshot, or a user entity a mutation has just written.
   */
  constructor(readonly profile: UserSnapshot) {
    this.id = profile.id;
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
}
