import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Log } from '../../infra/logger';
import { ApiKey } from './api-key.entity';
import { associatedData, sealedOf } from './api-key.service';
import { DecryptionError, type KeyRing } from './key-ring';

export interface ReencryptionReport {
  reencrypted: number;
  /** Keys that no longer decrypt (tampered, or under a master key not configured). */
  unreadable: string[];
}

/**
 * Re-encrypts every provider key not yet under the newest master key, in
 * batches of one transaction each. Interrupted, it loses at most the batch in
 * flight (rolled back); rerun, it continues with what is left. Rows locked by
 * a concurrent write are skipped: that write seals them with the newest key.
 * Only the sealed columns change (not `updatedAt`: the key is the same key).
 */
export async function reencryptAll(
  em: EntityManager,
  keyRing: KeyRing,
  logger: Log,
  batchSize = 200,
): Promise<ReencryptionReport> {
  const report: ReencryptionReport = { reencrypted: 0, unreadable: [] };
  let after = '';
  for (;;) {
    const batch = await em.fork().transactional(async (tx) => {
      const keys = await tx.find(
        ApiKey,
        { keyVersion: { $ne: keyRing.currentVersion }, id: { $gt: after } },
        {
          populate: ['iv', 'ciphertext', 'authTag'],
          orderBy: { id: 'asc' },
          limit: batchSize,
          lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE, // for update skip locked
        },
      );
      for (const key of keys) {
        const aad = associatedData(key.user.id, key.provider, key.id);
        let plaintext: string;
        try {
          plaintext = keyRing.open(sealedOf(key), aad);
        } catch (error) {
          if (!(error instanceof DecryptionError)) throw error;
          logger.warn({ keyId: key.id, reason: error.message }, 'provider key cannot be decrypted');
          report.unreadable.push(key.id);
          continue;
        }
        await tx.nativeUpdate(ApiKey, { id: key.id }, keyRing.seal(plaintext, aad));
      }
      return keys.map((key) => key.id);
    });
    report.reencrypted += batch.filter((id) => !report.unreadable.includes(id)).length;
    const last = batch.at(-1);
    if (!last || batch.length < batchSize) return report;
    after = last;
  }
}
