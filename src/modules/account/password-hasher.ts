import { E_TIMEOUT, Semaphore, withTimeout, type SemaphoreInterface } from 'async-mutex';
import scrypt from 'scrypt-kdf';
import { AppError, Errors } from '../../common/errors';

export interface ScryptParams {
  logN: number;
  r: number;
  p: number;
  /** Hashes computed at once by this process; more wait in line. */
  maxConcurrency: number;
  /** How long a hash may wait for a slot before SERVICE_UNAVAILABLE. */
  queueTimeoutMs?: number;
}

/**
 * scrypt-kdf hashing with a per-process bound on concurrent computations: each
 * one holds N·r·128 bytes (128 MiB at logN 17) and a libuv thread, so a burst
 * of sign-ins must queue instead of starving the API or exhausting memory.
 */
export class PasswordHasher {
  private readonly slots: SemaphoreInterface;
  private readonly params: { logN: number; r: number; p: number };
  private dummyHash: Promise<Uint8Array> | undefined;
  private queued = 0;
  private running = 0;

  constructor(options: ScryptParams) {
    this.params = { logN: options.logN, r: options.r, p: options.p };
    this.slots = withTimeout(
      new Semaphore(options.maxConcurrency),
      options.queueTimeoutMs ?? 2_000,
    );
  }

  async hash(password: string): Promise<string> {
    const key = await this.inSlot(() => scrypt.kdf(password, this.params));
    return Buffer.from(key).toString('base64');
  }

  async verify(storedHash: string, password: string): Promise<boolean> {
    const key = Buffer.from(storedHash, 'base64');
    return this.inSlot(() => scrypt.verify(key, password));
  }

  /**
   * Spends the same work as a real verification, so that an unknown email
   * cannot be told apart from a wrong password by the time it takes.
   */
  async verifyNothing(password: string): Promise<false> {
    this.dummyHash ??= scrypt.kdf('not a real password', this.params);
    const key = await this.dummyHash;
    await this.inSlot(() => scrypt.verify(key, password));
    return false;
  }

  /** True when a hash was made with other cost parameters than today's. */
  needsRehash(storedHash: string): boolean {
    const current = scrypt.viewParams(Buffer.from(storedHash, 'base64'));
    return (
      current.logN !== this.params.logN ||
      current.r !== this.params.r ||
      current.p !== this.params.p
    );
  }

  /** Hashes waiting for a slot and computing now (for the metrics). */
  load(): { queued: number; running: number } {
    return { queued: this.queued, running: this.running };
  }

  private async inSlot<T>(work: () => Promise<T>): Promise<T> {
    this.queued++;
    let started = false;
    try {
      return await this.slots.runExclusive(async () => {
        started = true;
        this.queued--;
        this.running++;
        try {
          return await work();
        } finally {
          this.running--;
        }
      });
    } catch (error) {
      if (error === E_TIMEOUT) throw new AppError(Errors.serviceUnavailable(1));
      throw error;
    } finally {
      // A wait that timed out never started its work.
      if (!(started as boolean)) this.queued--;
    }
  }
}
