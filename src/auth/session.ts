import type { DatabaseInstant } from '../infra/db/clock';
import type { UserSnapshot } from '../users/user-snapshot';
import type { User } from '../users/user.entity';

/**
 * Who a request is. Reads of the viewer's own columns use `profile`, an
 * immutable snapshot read with the token; `user` is the managed entity of
 * this request's EntityManager, made on first use only (for relations and
 * writes), so a request that just shows the profile never builds one.
 */
export class Session {
  private entity: User | undefined;

  constructor(
    readonly tokenId: string,
    readonly profile: UserSnapshot,
    /** When the database read `profile`. */
    readonly readAt: DatabaseInstant,
    private readonly materialise: () => User,
  ) {}

  get userId(): string {
    return this.profile.id;
  }

  get user(): User {
    return (this.entity ??= this.materialise());
  }
}
