/** ISO 8601 in UTC to the second, as both API documents write timestamps: `2026-01-15T10:30:00Z`. */
export function isoSeconds(date: Date): string {
  return isoSecondsOf(date.toISOString());
}

/** `isoSeconds` of a time already written by `toISOString()` (as the DateTime scalar writes it). */
export function isoSecondsOf(isoText: string): string {
  return isoText.replace(/\.\d{3}Z$/, 'Z');
}

/**
 * What `work` settles with, or `late` if it has not settled within `ms`
 * (a rejection within `ms` rejects). The timer is cleared either way; `work`
 * itself goes on, so it must have a bound or an owner of its own.
 */
export async function within<T, L>(work: Promise<T>, ms: number, late: L): Promise<T | L> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<L>((resolve) => {
    timer = setTimeout(() => resolve(late), ms);
  });
  try {
    return await Promise.race([work, bound]);
  } finally {
    clearTimeout(timer);
  }
}
