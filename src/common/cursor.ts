/**
 * Opaque cursors of keyset pagination: which list (`list`, and the `scope`
 * it belongs to, such as an organization), and the sort key of the last row
 * seen (its creation time in milliseconds and its id). A cursor from another
 * list, or one that does not decode to exactly that, is refused by the
 * caller as BAD_USER_INPUT.
 */
export interface CursorKey {
  createdAt: Date;
  id: string;
}

/** Longest cursor accepted before decoding is even tried. */
export const MAX_CURSOR_LENGTH = 200;

export function encodeCursor(list: string, scope: string, key: CursorKey): string {
  return Buffer.from(JSON.stringify([list, scope, key.createdAt.getTime(), key.id])).toString(
    'base64url',
  );
}

/** The key a cursor carries, or undefined if it is not a cursor of this list. */
export function decodeCursor(
  cursor: string,
  list: string,
  scope: string,
  idPattern: RegExp,
): CursorKey | undefined {
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 4) return undefined;
  const [l, s, time, id] = value as unknown[];
  if (l !== list || s !== scope) return undefined;
  if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0) return undefined;
  if (typeof id !== 'string' || !idPattern.test(id)) return undefined;
  // Re-encoding must give the same text: no padding, no second spelling.
  if (encodeCursor(list, scope, { createdAt: new Date(time), id }) !== cursor) return undefined;
  return { createdAt: new Date(time), id };
}
