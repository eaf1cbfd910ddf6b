import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

/**
 * Opaque cursors of keyset pagination: which list (`list`, and the `scope`
 * it belongs to, such as an organization), and the sort key of the last row
 * seen (its creation time in milliseconds and its id), signed with an HMAC
 * so that a cursor from another list or organization, or an altered one, is
 * refused (the caller answers BAD_USER_INPUT). The key comes from the master
 * key (see services.ts): rotating it only ends the pagination in progress.
 */
export interface CursorKey {
  createdAt: Date;
  id: string;
}

/** Longest cursor accepted before decoding is even tried. */
export const MAX_CURSOR_LENGTH = 200;

const TAG_BYTES = 16;

export class Cursors {
  /**
   * A KeyObject made once: `createHmac` given a Buffer prepares a key object
   * on every call, which was two thirds of signing a page's cursors.
   */
  private readonly key: KeyObject;

  constructor(key: Buffer) {
    this.key = createSecretKey(key);
  }

  encode(list: string, scope: string, key: CursorKey): string {
    const payload = Buffer.from(JSON.stringify([list, scope, key.createdAt.getTime(), key.id]));
    return `${payload.toString('base64url')}.${this.tag(payload).toString('base64url')}`;
  }

  /** The key a cursor carries, or undefined if it is not a cursor of this list, as issued. */
  decode(cursor: string, list: string, scope: string, idPattern: RegExp): CursorKey | undefined {
    if (cursor.length > MAX_CURSOR_LENGTH) return undefined;
    const match = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(cursor);
    if (!match) return undefined;
    const payload = Buffer.from(match[1] ?? '', 'base64url');
    const tag = Buffer.from(match[2] ?? '', 'base64url');
    const expected = this.tag(payload);
    if (tag.length !== expected.length || !timingSafeEqual(tag, expected)) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(payload.toString('utf8'));
    } catch {
      return undefined;
    }
    if (!Array.isArray(value) || value.length !== 4) return undefined;
    const [l, s, time, id] = value as unknown[];
    if (l !== list || s !== scope) return undefined;
    if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0) return undefined;
    if (typeof id !== 'string' || !idPattern.test(id)) return undefined;
    const key = { createdAt: new Date(time), id };
    // Only the spelling this class writes: no second text for one cursor.
    return this.encode(list, scope, key) === cursor ? key : undefined;
  }

  private tag(payload: Buffer): Buffer {
    return createHmac('sha256', this.key).update(payload).digest().subarray(0, TAG_BYTES);
  }
}
