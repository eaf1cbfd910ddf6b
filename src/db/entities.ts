import 'reflect-metadata';
import { AccessToken } from '../modules/auth/access-token.entity';
import { User } from '../modules/users/user.entity';

/** Every entity, listed explicitly: no folder scanning at start-up. */
export const entities = [User, AccessToken];
