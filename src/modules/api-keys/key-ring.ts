import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config, MasterKey } from '../../config';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What is stored for one encrypted secret; never the plaintext. */
export interface Sealed {
  keyVersion: string;
  iv: Buffer;
  ciphertext: Buffer;
  authTag: Buffer;
}

export class DecryptionError extends Error {
  override name = 'DecryptionError';
}

/**
 * AES-256-GCM under versioned master keys: the newest encrypts, all decrypt.
 * The associated data binds each ciphertext to where it belongs (user,
 * provider, key id), so a ciphertext copied to another row does not decrypt.
 */
export class KeyRing {
  private readonly byId: ReadonlyMap<string, Buffer>;
  readonly currentVersion: string;

  constructor(keys: readonly MasterKey[]) {
    const [newest] = keys;
    if (!newest) throw new Error('KeyRing needs at least one master key');
    this.currentVersion = newest.id;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  /**
   * A 32-byte key for `purpose` (HKDF-SHA256 of the newest master key), so
   * that other uses (signing cursors) never touch the master key itself.
   */
  derive(purpose: string): Buffer {
    const key = this.byId.get(this.currentVersion) as Buffer;
    return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), purpose, 32));
  }

  seal(plaintext: string, associatedData: string): Sealed {
    const key = this.byId.get(this.currentVersion) as Buffer;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { keyVersion: this.currentVersion, iv, ciphertext, authTag: cipher.getAuthTag() };
  }

  /** The plaintext, or a DecryptionError for anything tampered, misplaced or unknown. */
  open(sealed: Sealed, associatedData: string): string {
    const key = this.byId.get(sealed.keyVersion);
    if (!key) throw new DecryptionError(`unknown master key version "${sealed.keyVersion}"`);
    if (sealed.iv.length !== IV_BYTES || sealed.authTag.length !== TAG_BYTES) {
      throw new DecryptionError('malformed ciphertext');
    }
    try {
      // authTagLength: without it Node accepts truncated tags.
      const decipher = createDecipheriv(ALGORITHM, key, sealed.iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(associatedData, 'utf8'));
      decipher.setAuthTag(sealed.authTag);
      return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
    } catch {
      throw new DecryptionError('ciphertext failed authentication');
    }
  }
}

const GENERATED_KEY_FILE = 'master-key';

/**
 * The configured master keys or, outside production when none are configured,
 * one generated once into DATA_DIR (mode 0600) and reused on every start.
 */
export async function loadKeyRing(config: Config): Promise<KeyRing> {
  if (config.masterKeys) return new KeyRing(config.masterKeys);
  if (config.isProduction) throw new Error('MASTER_KEYS is required in production');
  const file = path.join(config.dataDir, GENERATED_KEY_FILE);
  await fs.mkdir(config.dataDir, { recursive: true });
  let line: string;
  try {
    line = (await fs.readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    line = `local-${Date.now().toString(36)}:${randomBytes(32).toString('base64')}`;
    try {
      await fs.writeFile(file, `${line}\n`, { mode: 0o600, flag: 'wx' });
    } catch (raced) {
      // Another process created it first: use theirs.
      if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
      line = (await fs.readFile(file, 'utf8')).trim();
    }
  }
  const separator = line.indexOf(':');
  const key = Buffer.from(line.slice(separator + 1), 'base64');
  if (separator < 1 || key.length !== 32) throw new Error(`${file} is not a valid master key`);
  return new KeyRing([{ id: line.slice(0, separator), key }]);
}
