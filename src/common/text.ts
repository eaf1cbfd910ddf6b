import { InputReasons } from './errors';

/**
 * Why PostgreSQL could not store `text` as it is, or undefined when it can.
 * PostgreSQL's text holds no NUL character, and its UTF-8 no lone surrogate
 * (what a JSON `\ud800` escape decodes to, and what request bodies that are
 * not valid UTF-8 are decoded to: see src/infra/http/json-body.ts).
 */
export function unstorableText(text: string): string | undefined {
  if (text.includes('\u0000')) return InputReasons.containsNul;
  if (!text.isWellFormed()) return InputReasons.notUtf8;
  return undefined;
}
