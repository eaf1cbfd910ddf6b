import type { Plan } from '../../users/user.entity';

export interface PlanLimits {
  brands: number;
  prompts: number;
  competitors: number;
  /** Active access tokens ("API keys" in the Users API document). */
  accessTokens: number;
  contentScoresPerDay: number;
}

/** The plan table of the Users API document. */
export const PLAN_LIMITS: Readonly<Record<Plan, PlanLimits>> = {
  free: { brands: 1, prompts: 25, competitors: 2, accessTokens: 2, contentScoresPerDay: 5 },
  starter: { brands: 3, prompts: 100, competitors: 5, accessTokens: 5, contentScoresPerDay: 25 },
  growth: { brands: 10, prompts: 250, competitors: 5, accessTokens: 20, contentScoresPerDay: 100 },
};
