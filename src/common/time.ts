/** ISO 8601 in UTC to the second, as both API documents write timestamps: `2026-01-15T10:30:00Z`. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
