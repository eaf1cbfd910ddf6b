import type { DatabaseInstant } from '../infra/db/clock';
import type { UserSnapshot } from '../users/user-snapshot';
import type { User } from '../users/user.entity';
import type { TokenScope } from './scopes';

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
    /** What the token may do. */
    readonly scopes: ReadonlySet<TokenScope>,
    /** When the token stops working; null: never. */
    readonly expiresAt: Date | null,
  ) {}

  get userId(): string {
    return this.profile.id;
  }

  get user(): User {
    return (this.entity ??= this.materialise());
  }

  allows(scope: TokenScope): boolean {
    return this.scopes.has(scope);
  }
}

/** A token that was valid but has expired: refused, with the reason said. */
export class ExpiredToken {
  constructor(
    readonly tokenId: string,
    readonly userId: string,
  ) {}
}
