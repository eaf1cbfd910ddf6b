import type { EntityManager } from '@mikro-orm/postgresql';
import type { Log } from '../../infra/logger';
import type { Provider } from './api-key.entity';
import { associatedData } from './api-key.service';
import { DecryptionError, type KeyRing } from './key-ring';

export interface ReencryptionReport {
  reencrypted: number;
  /** Keys that no longer decrypt (tampered, or under a master key not configured). */
  unreadable: string[];
}

interface SealedRow {
  id: string;
  user_id: string;
  provider: Provider;
  key_version: string;
  iv: Buffer;
  ciphertext: Buffer;
  auth_tag: Buffer;
}

/**
 * Re-encrypts every provider key not yet under the newest master key, in
 * batches of one transaction each. Interrupted, it loses at most the batch in
 * flight (rolled back); rerun, it continues with what is left. Rows locked by
 * a concurrent write are skipped: that write seals them with the newest key.
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
      const rows = await tx.execute<SealedRow[]>(
        `select id, user_id, provider, key_version, iv, ciphertext, auth_tag from api_keys
         where key_version <> ? and id > ?
         order by id limit ? for update skip locked`,
        [keyRing.currentVersion, after, batchSize],
      );
      for (const row of rows) {
        const aad = associatedData(row.user_id, row.provider, row.id);
        let plaintext: string;
        try {
          plaintext = keyRing.open(
            {
              keyVersion: row.key_version,
              iv: row.iv,
              ciphertext: row.ciphertext,
              authTag: row.auth_tag,
            },
            aad,
          );
        } catch (error) {
          if (!(error instanceof DecryptionError)) throw error;
          logger.warn({ keyId: row.id, reason: error.message }, 'provider key cannot be decrypted');
          report.unreadable.push(row.id);
          continue;
        }
        const sealed = keyRing.seal(plaintext, aad);
        await tx.execute(
          'update api_keys set key_version = ?, iv = ?, ciphertext = ?, auth_tag = ? where id = ?',
          [sealed.keyVersion, sealed.iv, sealed.ciphertext, sealed.authTag, row.id],
        );
      }
      return rows;
    });
    report.reencrypted +=
      batch.length - batch.filter((row) => report.unreadable.includes(row.id)).length;
    const last = batch.at(-1);
    if (!last || batch.length < batchSize) return report;
    after = last.id;
  }
}
