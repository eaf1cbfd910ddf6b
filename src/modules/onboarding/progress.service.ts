import type { EntityManager } from '@mikro-orm/postgresql';
import type { User } from '../users/user.entity';

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

type StepRow = Record<StepId, boolean>;

/**
 * The five steps, each derived from the data itself in one query (no stored
 * flags): a profile with a job title, a time zone chosen, onboarding
 * answered, a provider key added, a teammate invited or present.
 */
export class ProgressService {
  constructor(private readonly em: EntityManager) {}

  async progress(user: User): Promise<OnboardingProgress> {
    const [row] = await this.em.execute<StepRow[]>(
      `select
         (u.job_title is not null) as profile,
         (u.timezone is not null) as timezone,
         exists (select 1 from onboardings o where o.user_id = u.id) as onboarding,
         exists (select 1 from api_keys k where k.user_id = u.id) as api_key,
         (exists (select 1 from invitations i where i.invited_by_id = u.id)
          or exists (select 1 from memberships mine
                     join memberships other on other.organization_id = mine.organization_id
                                          and other.user_id <> mine.user_id
                     where mine.user_id = u.id)) as invite_teammate
       from users u where u.id = ?`,
      [user.id],
    );
    const steps = STEP_IDS.map((id) => ({ id, title: TITLES[id], completed: row?.[id] === true }));
    const completedCount = steps.filter((step) => step.completed).length;
    return {
      steps,
      completedCount,
      totalCount: steps.length,
      percentComplete: Math.round((completedCount / steps.length) * 100),
      nextStep: steps.find((step) => !step.completed) ?? null,
    };
  }
}
