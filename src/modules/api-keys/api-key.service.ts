import type { EntityManager } from '@mikro-orm/postgresql';
import type { ClientInfo } from '../../auth/client';
import { SecurityLog } from '../../auth/security-log';
import { AppError, Errors } from '../../common/errors';
import { newId } from '../../common/ids';
import type { LimitName } from '../../config';
import type { Log } from '../../infra/logger';
import type { RateLimits } from '../../infra/rate-limits';
import { lockAccount } from '../../users/account-lock';
import type { User } from '../../users/user.entity';
import { ApiKey, type Provider } from './api-key.entity';
import { KEY_CHECK_STATUSES, type KeyCheckReason } from './key-check';
import { DecryptionError, type KeyRing, type Sealed } from './key-ring';
import { maskKey } from './masking';
import {
  checkKeyFormat,
  formatProblemError,
  rejectedKeyError,
  type KeyCheckOutcome,
  type ProviderKeyChecker,
} from './providers';

/** A key's status as shown: the latest check's, or `unreadable` when it no longer decrypts. */
export const API_KEY_STATUSES = [...KEY_CHECK_STATUSES, 'unreadable'] as const;
export type ApiKeyStatus = (typeof API_KEY_STATUSES)[number];

/** What the API shows of a provider key: masked, never the key. */
export interface ApiKeyView {
  id: string;
  provider: Provider;
  name: string | null;
  /** Null when the stored ciphertext cannot be decrypted. */
  maskedKey: string | null;
  status: ApiKeyStatus;
  /** Why the latest check was not `valid`; null when it was, and when unreadable. */
  statusReason: KeyCheckReason | null;
  /** When the provider last accepted or refused the key. */
  lastValidatedAt: Date | null;
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
  | 'checkStatus'
  | 'statusReason'
  | 'lastValidatedAt'
  | 'createdAt'
  | 'updatedAt'
>;

export class ApiKeyService {
  /** `entityManager` gives the request's (forked on first use): showing keys needs none. */
  constructor(
    private readonly entityManager: () => EntityManager,
    private readonly keyRing: KeyRing,
    private readonly logger: Log,
    private readonly checker: ProviderKeyChecker,
    private readonly rateLimits: RateLimits<LimitName>,
    /** Who asks, as the security log keeps it. */
    private readonly client: ClientInfo,
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
   *
   * Before anything is stored, the key must look like its provider's (a key
   * of another provider is refused without any request) and, with
   * validation on, the provider must not refuse it. The check runs before
   * the write and outside any transaction, so no connection waits on the
   * provider; an unanswered check stores the key `unverified`.
   *
   * The security log says which it was (added or replaced), in the same
   * transaction, under the user's row lock so that two racing adds are
   * told apart.
   */
  async add(
    user: User,
    input: { provider: Provider; key: string; name?: string | null },
  ): Promise<ApiKeyView> {
    const format = checkKeyFormat(input.provider, input.key);
    if (!format.ok) throw new AppError(formatProblemError(input.provider, format));
    if (this.checker.enabled) await this.rateLimits.consume('providerKeyChecks', user.id);
    const outcome = await this.check(input.provider, input.key);
    if (outcome.status === 'invalid') throw new AppError(rejectedKeyError(input.provider, outcome));

    const id = newId('key');
    const now = new Date();
    const sealed = this.keyRing.seal(input.key, associatedData(user.id, input.provider, id));
    const name = input.name?.trim() ?? null;
    const checked = {
      checkStatus: outcome.status,
      statusReason: outcome.status === 'valid' ? null : outcome.reason,
      lastValidatedAt: outcome.status === 'valid' ? now : null,
    };
    // Under the user's row lock: two racing adds are told apart (added or
    // replaced), and an account deleted since this request was authenticated
    // is UNAUTHENTICATED, as its token is from then on.
    await this.em.transactional(async (em) => {
      const locked = await lockAccount(em, user.id);
      const replaces = (await em.count(ApiKey, { user: locked, provider: input.provider })) > 0;
      await em.upsert(
        ApiKey,
        {
          id,
          user: locked,
          provider: input.provider,
          name,
          ...sealed,
          ...checked,
          createdAt: now,
          updatedAt: now,
        },
        {
          onConflictFields: ['user', 'provider'],
          onConflictAction: 'merge',
          onConflictExcludeFields: ['user', 'provider'],
        },
      );
      const type = replaces ? 'PROVIDER_KEY_REPLACED' : 'PROVIDER_KEY_ADDED';
      SecurityLog.add(em, locked, type, this.client, id);
    });
    return {
      id,
      provider: input.provider,
      name,
      maskedKey: maskKey(input.provider, input.key),
      status: checked.checkStatus,
      statusReason: checked.statusReason,
      lastValidatedAt: checked.lastValidatedAt,
      createdAt: now,
      updatedAt: now,
    };
  }

  /**
   * Checks a stored key against its provider again and records what it
   * says: `valid`, `invalid` (with why), or `unverified` (with why). A key
   * that no longer decrypts is answered `unreadable` without any request.
   * Only a check that could not even start (every slot busy) is an error,
   * SERVICE_UNAVAILABLE, and changes nothing. The write names the key's id
   * and owner, so a key replaced or removed meanwhile is NOT_FOUND, never
   * overwritten with another key's result.
   */
  async validate(user: User, id: string): Promise<ApiKeyView> {
    if (this.checker.enabled) await this.rateLimits.consume('providerKeyChecks', user.id);
    const key = await this.em.findOne(ApiKey, { id, user }, { populate: SECRET_COLUMNS });
    if (!key) throw new AppError(Errors.notFound('API key'));
    const plaintext = openKey(this.keyRing, this.logger, user.id, key);
    if (plaintext === null) return unreadableView(key);

    const outcome = await this.check(key.provider, plaintext);
    if (outcome.status === 'unverified' && outcome.reason === 'BUSY') {
      throw new AppError(Errors.serviceUnavailable(1));
    }
    const now = new Date();
    const checked = {
      checkStatus: outcome.status,
      statusReason: outcome.status === 'valid' ? null : outcome.reason,
      ...(outcome.status === 'unverified' ? {} : { lastValidatedAt: now }),
    };
    if ((await this.em.nativeUpdate(ApiKey, { id, user }, checked)) === 0) {
      throw new AppError(Errors.notFound('API key'));
    }
    return {
      ...viewBase(key),
      maskedKey: maskKey(key.provider, plaintext),
      status: checked.checkStatus,
      statusReason: checked.statusReason,
      lastValidatedAt: checked.lastValidatedAt ?? key.lastValidatedAt,
    };
  }

  /** One check, logged without anything of the key or the provider's answer but its status. */
  private async check(provider: Provider, key: string): Promise<KeyCheckOutcome> {
    const outcome = await this.checker.check(provider, key);
    this.logger.info(
      {
        provider,
        status: outcome.status,
        reason: outcome.status === 'valid' ? null : outcome.reason,
        httpStatus: outcome.httpStatus,
        errorCode: outcome.errorCode,
        durationMs: outcome.durationMs,
      },
      'provider key checked',
    );
    return outcome;
  }

  /** Removes one of the user's keys; any other id is NOT_FOUND, alike. */
  async remove(user: User, id: string): Promise<ApiKeyView> {
    const key = await this.em.findOne(ApiKey, { id, user }, { populate: SECRET_COLUMNS });
    if (!key) throw new AppError(Errors.notFound('API key'));
    const view = presentApiKey(this.keyRing, this.logger, user.id, key);
    // A concurrent replacement may have swapped the row since it was read.
    await this.em.transactional(async (em) => {
      if ((await em.nativeDelete(ApiKey, { id, user })) === 0)
        throw new AppError(Errors.notFound('API key'));
      SecurityLog.add(em, user, 'PROVIDER_KEY_REMOVED', this.client, id);
    });
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
  const plaintext = openKey(keyRing, logger, userId, key);
  if (plaintext === null) return unreadableView(key);
  return {
    ...viewBase(key),
    maskedKey: maskKey(key.provider, plaintext),
    status: key.checkStatus,
    statusReason: key.statusReason,
    lastValidatedAt: key.lastValidatedAt,
  };
}

function unreadableView(key: StoredApiKey): ApiKeyView {
  return {
    ...viewBase(key),
    maskedKey: null,
    status: 'unreadable',
    statusReason: null,
    lastValidatedAt: key.lastValidatedAt,
  };
}

function viewBase(key: StoredApiKey) {
  return {
    id: key.id,
    provider: key.provider,
    name: key.name,
    createdAt: key.createdAt,
    updatedAt: key.updatedAt,
  };
}

/** The plaintext key, or null (logged without any secret) when it no longer decrypts. */
function openKey(keyRing: KeyRing, logger: Log, userId: string, key: StoredApiKey): string | null {
  try {
    return keyRing.open(sealedOf(key), associatedData(userId, key.provider, key.id));
  } catch (error) {
    if (!(error instanceof DecryptionError)) throw error;
    logger.warn({ keyId: key.id, reason: error.message }, 'provider key cannot be decrypted');
    return null;
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
