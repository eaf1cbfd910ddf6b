/** What the legacy API documents (docs/api-documents/) fix, shared by the tests that check them. */

/** Their timestamps: ISO 8601 UTC without milliseconds, `2026-01-15T10:30:00Z`. */
export const ISO_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** The documented example body of `POST /api/user/onboarding` (also `completeOnboarding`'s input). */
export const ONBOARDING_EXAMPLE = {
  fullName: 'Jane Smith',
  jobTitle: 'Product Manager',
  company: 'Acme Corp',
  useCase: 'Product requirements',
  teamSize: 'medium',
  prdStyle: 'comprehensive',
  interests: ['ai-chat', 'templates', 'exports'],
};

/** The keys of `GET /api/users/profile`, exactly and in order. */
export const USERS_PROFILE_KEYS = [
  'id',
  'email',
  'full_name',
  'avatar_url',
  'email_verified',
  'plan_id',
  'created_at',
];
