import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, Errors } from '../../common/errors';
import type { UpdateProfileInput } from './profile.inputs';
import { canonicalTimeZone } from './timezone';
import type { User } from '../../users/user.entity';

type OptionalText = 'jobTitle' | 'bio' | 'avatarUrl' | 'preferredStyle';
const OPTIONAL_TEXT: readonly OptionalText[] = ['jobTitle', 'bio', 'avatarUrl', 'preferredStyle'];

/** Trimmed text, or null when nothing is left of it. */
export function cleanText(value: string | null): string | null {
  const trimmed = value?.trim() ?? '';
  return trimmed === '' ? null : trimmed;
}

export class ProfileService {
  constructor(private readonly em: EntityManager) {}

  async update(user: User, input: UpdateProfileInput): Promise<User> {
    if (input.name === null) throw new AppError(Errors.nameNotClearable());
    if (input.name !== undefined) user.name = input.name.trim();
    for (const field of OPTIONAL_TEXT) {
      const value = input[field];
      if (value === undefined) continue;
      user[field] =
        field === 'avatarUrl' && value !== null ? new URL(value.trim()).href : cleanText(value);
    }
    await this.em.flush();
    return user;
  }

  /** Stores the canonical IANA name: `Asia/Calcutta` is kept as `Asia/Kolkata`. */
  async updateTimezone(user: User, timezone: string): Promise<User> {
    const canonical = canonicalTimeZone(timezone);
    if (!canonical) {
      throw new AppError(Errors.notATimeZone());
    }
    user.timezone = canonical;
    await this.em.flush();
    return user;
  }
}
