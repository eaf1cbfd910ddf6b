import { ForeignKeyConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, Errors } from '../../common/errors';
import { newId } from '../../common/ids';
import type { Log } from '../../infra/logger';
import type { User } from '../../users/user.entity';
import { ApiKey, type Provider } from './api-key.entity';
import { DecryptionError, type KeyRing, type Sealed } from './key-ring';
import { maskKey } from './masking';

export const API_KEY_STATUSES = ['active', 'unreadable'] as const;
export type ApiKeyStatus = (typeof API_KEY_STATUSES)[number];

/** What the API shows of a provider key: masked, never the key. */
export interface ApiKeyView {
  id: string;
  provider: Provider;
  name: string | null;
  /** Null when the stored ciphertext cannot be decrypted. */
  maskedKey: string | null;
  status: ApiKeyStatus;
  createdAt: Date;
  updatedAt: Date;
}

/** Binds a ciphertext to its row: copied elsewhere, it no longer decrypts. */
export function associatedData(userId: string, provider: string, keyId: string): string {
  return `account-api:byok:v1:${userId}:${provider}:${keyId}`;
}

const SECRET_COLUMNS = ['iv', 'ciphertext', 'authTag'] as const;

/** A key as stored (sealed), whether read through the ORM or as a plain row. */
export type StoredApiKey = Pick<
  ApiKey,
  | 'id'
  | 'provider'
  | 'name'
  | 'keyVersion'
  | 'iv'
  | 'ciphertext'
  | 'authTag'
  | 'createdAt'
  | 'updatedAt'
>;

export class ApiKeyService {
  /** `entityManager` gives the request's (forked on first use): showing keys needs none. */
  constructor(
    private readonly entityManager: () => EntityManager,
    private readonly keyRing: KeyRing,
    private readonly logger: Log,
  ) {}

  private get em(): EntityManager {
    return this.entityManager();
  }

  /** The masked views of a user's stored keys. */
  present(userId: string, keys: readonly StoredApiKey[]): ApiKeyView[] {
    return keys.map((key) => presentApiKey(this.keyRing, this.logger, userId, key));
  }

  /**
   * Adds the key for its provider, replacing any previous one in the same
   * statement: the unique (user, provider) key makes the upsert atomic, and
   * a replaced key takes the new id, so the old id no longer names it.
   */
  async add(
    user: User,
    input: { provider: Provider; key: string; name?: string | null },
  ): Promise<ApiKeyView> {
    const id = newId('key');
    const now = new Date();
    const sealed = this.keyRing.seal(input.key, associatedData(user.id, input.provider, id));
    const name = input.name?.trim() ?? null;
    try {
      await this.em.upsert(
        ApiKey,
        { id, user, provider: input.provider, name, ...sealed, createdAt: now, updatedAt: now },
        {
          onConflictFields: ['user', 'provider'],
          onConflictAction: 'merge',
          onConflictExcludeFields: ['user', 'provider'],
        },
      );
    } catch (error) {
      // Its only foreign key is the user's: the account was deleted since
      // this request was authenticated, and its token is dead.
      if (error instanceof ForeignKeyConstraintViolationException)
        throw new AppError(Errors.unauthenticated());
      throw error;
    }
    return {
      id,
      provider: input.provider,
      name,
      maskedKey: maskKey(input.provider, input.key),
      status: 'active',
      createdAt: now,
      updatedAt: now,
    };
  }

  /** Removes one of the user's keys; any other id is NOT_FOUND, alike. */
  async remove(user: User, id: string): Promise<ApiKeyView> {
    const key = await this.em.findOne(ApiKey, { id, user }, { populate: SECRET_COLUMNS });
    if (!key) throw new AppError(Errors.notFound('API key'));
    const view = presentApiKey(this.keyRing, this.logger, user.id, key);
    // A concurrent replacement may have swapped the row since it was read.
    if ((await this.em.nativeDelete(ApiKey, { id, user })) === 0)
      throw new AppError(Errors.notFound('API key'));
    return view;
  }
}

/**
 * The masked view of a stored key. The key is decrypted to mask it; a key
 * that fails to decrypt (tampered, misplaced, unknown master key) is reported
 * as unreadable and logged without any secret, never fatal.
 */
export function presentApiKey(
  keyRing: KeyRing,
  logger: Log,
  userId: string,
  key: StoredApiKey,
): ApiKeyView {
  const base = {
    id: key.id,
    provider: key.provider,
    name: key.name,
    createdAt: key.createdAt,
    updatedAt: key.updatedAt,
  };
  try {
    const plaintext = keyRing.open(sealedOf(key), associatedData(userId, key.provider, key.id));
    return { ...base, maskedKey: maskKey(key.provider, plaintext), status: 'active' };
  } catch (error) {
    if (!(error instanceof DecryptionError)) throw error;
    logger.warn({ keyId: key.id, reason: error.message }, 'provider key cannot be decrypted');
    return { ...base, maskedKey: null, status: 'unreadable' };
  }
}

export function sealedOf(
  key: Pick<ApiKey, 'keyVersion' | 'iv' | 'ciphertext' | 'authTag'>,
): Sealed {
  return {
    keyVersion: key.keyVersion,
    iv: key.iv,
    ciphertext: key.ciphertext,
    authTag: key.authTag,
  };
}
