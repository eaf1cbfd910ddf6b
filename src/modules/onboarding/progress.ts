import type { UserSnapshot } from '../../users/user-snapshot';
import type { Owned } from '../viewer/viewer-reads';

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

/**
 * The five steps, each derived from the data itself (no stored flags): a
 * profile with a job title, a time zone chosen, onboarding answered, a
 * provider key added, a teammate invited or present. The profile's two come
 * from the same snapshot the viewer's profile shows, the rest from the rows
 * the viewer's other fields show, so all of one answer agrees.
 */
export function progressOf(
  profile: Pick<UserSnapshot, 'jobTitle' | 'timezone'>,
  owned: Owned,
): OnboardingProgress {
  const done: Record<StepId, boolean> = {
    profile: profile.jobTitle !== null,
    timezone: profile.timezone !== null,
    onboarding: owned.onboarding !== null,
    api_key: owned.apiKeys.length > 0,
    invite_teammate:
      owned.hasInvited ||
      owned.memberships.some((membership) => membership.organization.memberCount > 1),
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
