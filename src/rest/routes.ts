/**
 * The REST compatibility face, as data. Each route names the GraphQL
 * operation it runs and how a request becomes its variables; aliases in the
 * operation give the documented field names, so the answer is the operation's
 * result at `result`. Nothing here holds a rule: those live in the services
 * behind the GraphQL schema, exactly as for GraphQL clients.
 *
 * Sources: docs/api-documents/user-api.txt (camelCase, `/api/user/*`) and
 * docs/api-documents/users-api.txt (snake_case, `/api/users/*`).
 */

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface RestRoute {
  method: HttpMethod;
  /** Fastify path syntax: `/api/user/api-keys/:keyId`. */
  path: string;
  summary: string;
  /** Field casing of bodies and errors: camelCase or snake_case. */
  casing: 'camel' | 'snake';
  /** The GraphQL operation, parsed and validated once at start-up. */
  document: string;
  /**
   * Where the JSON body goes: `input` (the `$input` variable, an input object),
   * `variables` (each body field is the variable of that name), or nowhere.
   */
  body?: 'input' | 'variables';
  /** REST body field -> GraphQL input field, where the names differ. */
  rename?: Readonly<Record<string, string>>;
  /** Only these REST body fields are accepted (default: every input field). */
  accepts?: readonly string[];
  /** Path parameter -> GraphQL variable. */
  params?: Readonly<Record<string, string>>;
  /** Dotted path of the answer in the operation's data. */
  result?: string;
  /** Child objects of the result whose fields move up into it. */
  flatten?: readonly string[];
  /** Success status; 204 sends no body. */
  status: 200 | 201 | 204;
  /** Serve the answer as a file download with this name. */
  download?: (answer: Record<string, unknown>, now: Date) => string;
}

const PROFILE = `id email name jobTitle bio avatar: avatarUrl preferredStyle timezone
  emailVerified plan createdAt updatedAt lastActiveAt`;
const USERS_PROFILE = `id email full_name: name avatar_url: avatarUrl email_verified: emailVerified
  plan_id: plan created_at: createdAt`;
const API_KEY =
  'id provider name maskedKey status statusReason lastValidatedAt createdAt updatedAt';
const ONBOARDING =
  'completed completedAt preferences { company useCase teamSize prdStyle interests }';

export const ROUTES: readonly RestRoute[] = [
  {
    method: 'GET',
    path: '/api/user/profile',
    summary: 'Get the profile and preferences',
    casing: 'camel',
    document: `query UserProfile { viewer { profile { ${PROFILE} } } }`,
    result: 'viewer.profile',
    status: 200,
  },
  {
    method: 'PATCH',
    path: '/api/user/profile',
    summary: 'Update the profile (partial; null clears an optional field)',
    casing: 'camel',
    document: `mutation UpdateUserProfile($input: UpdateProfileInput!) {
      updateProfile(input: $input) { ${PROFILE} } }`,
    body: 'input',
    rename: { avatar: 'avatarUrl' },
    result: 'updateProfile',
    status: 200,
  },
  {
    method: 'GET',
    path: '/api/user/api-keys',
    summary: 'List the provider keys (masked)',
    casing: 'camel',
    document: `query UserApiKeys { viewer { keys: apiKeys { ${API_KEY} } } }`,
    result: 'viewer',
    status: 200,
  },
  {
    method: 'POST',
    path: '/api/user/api-keys',
    summary: 'Add a provider key (replaces the key of that provider)',
    casing: 'camel',
    document: `mutation AddUserApiKey($input: AddApiKeyInput!) {
      addApiKey(input: $input) { id provider name createdAt } }`,
    body: 'input',
    result: 'addApiKey',
    status: 201,
  },
  {
    method: 'DELETE',
    path: '/api/user/api-keys/:keyId',
    summary: 'Remove a provider key',
    casing: 'camel',
    document: 'mutation RemoveUserApiKey($id: ID!) { removeApiKey(id: $id) { id } }',
    params: { keyId: 'id' },
    status: 204,
  },
  {
    method: 'PATCH',
    path: '/api/user/timezone',
    summary: 'Set the time zone (an IANA name)',
    casing: 'camel',
    document: `mutation UpdateUserTimezone($timezone: String!) {
      updateTimezone(timezone: $timezone) { timezone } }`,
    body: 'variables',
    result: 'updateTimezone',
    status: 200,
  },
  {
    method: 'GET',
    path: '/api/user/onboarding',
    summary: 'Onboarding status',
    casing: 'camel',
    document: `query UserOnboarding { viewer { onboarding { ${ONBOARDING} } } }`,
    result: 'viewer.onboarding',
    status: 200,
  },
  {
    method: 'POST',
    path: '/api/user/onboarding',
    summary: 'Complete onboarding (repeatable)',
    casing: 'camel',
    document: `mutation CompleteUserOnboarding($input: CompleteOnboardingInput!) {
      completeOnboarding(input: $input) {
        onboarding { ${ONBOARDING} }
        organization { id name }
        invitations { id email status createdAt } } }`,
    body: 'input',
    result: 'completeOnboarding',
    flatten: ['onboarding'],
    status: 200,
  },
  {
    method: 'GET',
    path: '/api/user/onboarding-progress',
    summary: 'The 5-step onboarding checklist',
    casing: 'camel',
    document: `query UserOnboardingProgress { viewer { onboardingProgress {
      steps { id title completed } completedCount totalCount percentComplete
      nextStep { id title completed } } } }`,
    result: 'viewer.onboardingProgress',
    status: 200,
  },
  {
    method: 'POST',
    path: '/api/user/activity',
    summary: 'Ping activity (recorded at most once per 5 minutes)',
    casing: 'camel',
    document:
      'mutation RecordUserActivity { recordActivity { recorded lastActiveAt nextRecordableAt } }',
    result: 'recordActivity',
    status: 200,
  },
  {
    method: 'GET',
    path: '/api/user/data-export',
    summary: 'Download all data held about the user (GDPR)',
    casing: 'camel',
    document: 'mutation ExportUserData { exportData }',
    result: 'exportData',
    status: 200,
    download: (answer, now) => {
      const profile = answer['profile'] as { id?: unknown } | undefined;
      const who = typeof profile?.id === 'string' ? `-${profile.id}` : '';
      return `account-export${who}-${now.toISOString().slice(0, 10)}.json`;
    },
  },
  {
    method: 'DELETE',
    path: '/api/user/delete-account',
    summary: 'Delete the account and all its data',
    casing: 'camel',
    document: `mutation DeleteUserAccount($confirmEmail: String!) {
      deleteAccount(confirmEmail: $confirmEmail) { message } }`,
    body: 'variables',
    result: 'deleteAccount',
    status: 200,
  },
  {
    method: 'GET',
    path: '/api/users/profile',
    summary: 'Get User Profile',
    casing: 'snake',
    document: `query UsersProfile { viewer { profile { ${USERS_PROFILE} } } }`,
    result: 'viewer.profile',
    status: 200,
  },
  {
    method: 'PATCH',
    path: '/api/users/profile',
    summary: 'Update User Profile (name, avatar_url; email cannot change)',
    casing: 'snake',
    document: `mutation UpdateUsersProfile($input: UpdateProfileInput!) {
      updateProfile(input: $input) { ${USERS_PROFILE} } }`,
    body: 'input',
    accepts: ['name', 'avatar_url'],
    result: 'updateProfile',
    status: 200,
  },
  {
    method: 'PATCH',
    path: '/api/users/password',
    summary: 'Change Password (existing tokens stay valid)',
    casing: 'snake',
    document: `mutation ChangeUsersPassword($input: ChangePasswordInput!) {
      changePassword(input: $input) { message } }`,
    body: 'input',
    // The documented body; revoking the other tokens is a GraphQL opt-in.
    accepts: ['current_password', 'new_password'],
    result: 'changePassword',
    status: 200,
  },
];
