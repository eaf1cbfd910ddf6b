export const STEP_IDS = [
  'profile',
  'timezone',
  'onboarding',
  'api_key',
  'invite_teammate',
] as const;
export type StepId = (typeof STEP_IDS)[number];

export interface ProgressStep {
  id: StepId;
  title: string;
  completed: boolean;
}

export interface OnboardingProgress {
  steps: ProgressStep[];
  completedCount: number;
  totalCount: number;
  percentComplete: number;
  /** The first step not completed yet; null when all are. */
  nextStep: ProgressStep | null;
}

const TITLES: Readonly<Record<StepId, string>> = {
  profile: 'Complete your profile',
  timezone: 'Set your timezone',
  onboarding: 'Tell us about your work',
  api_key: 'Add an AI provider key',
  invite_teammate: 'Invite a teammate',
};

/** What the steps are derived from: the account's own data, no stored flags. */
export interface ProgressFacts {
  jobTitle: string | null;
  /** Null until the user chooses one. */
  timezone: string | null;
  onboarded: boolean;
  apiKeys: number;
  /** Whether the user has invited anyone, or shares an organization with someone. */
  hasTeammate: boolean;
}

/**
 * The five steps: a profile with a job title, a time zone chosen,
 * onboarding answered, a provider key added, a teammate invited or present.
 */
export function progressOf(facts: ProgressFacts): OnboardingProgress {
  const done: Record<StepId, boolean> = {
    profile: facts.jobTitle !== null,
    timezone: facts.timezone !== null,
    onboarding: facts.onboarded,
    api_key: facts.apiKeys > 0,
    invite_teammate: facts.hasTeammate,
  };
  const steps = STEP_IDS.map((id) => ({ id, title: TITLES[id], completed: done[id] }));
  const completedCount = steps.filter((step) => step.completed).length;
  return {
    steps,
    completedCount,
    totalCount: steps.length,
    percentComplete: Math.round((completedCount / steps.length) * 100),
    nextStep: steps.find((step) => !step.completed) ?? null,
  };
}
