import type { User } from './user.entity';

/**
 * The user's own columns as read when the request's token was checked: all
 * a profile shows, frozen, and no managed entity (see Session in auth/).
 */
export type UserSnapshot = Readonly<
  Pick<
    User,
    | 'id'
    | 'email'
    | 'name'
    | 'jobTitle'
    | 'bio'
    | 'avatarUrl'
    | 'preferredStyle'
    | 'timezone'
    | 'emailVerified'
    | 'plan'
    | 'createdAt'
    | 'updatedAt'
    | 'lastActiveAt'
  >
>;
