/** Emails are compared and stored trimmed and in lower case (a check constraint keeps them so). */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
