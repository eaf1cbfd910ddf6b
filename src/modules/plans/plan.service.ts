import type { EntityManager } from '@mikro-orm/postgresql';
import { AccessToken } from '../auth/access-token.entity';
import type { Plan, User } from '../users/user.entity';
import { PLAN_LIMITS, type PlanLimits } from './plan-limits';

export interface PlanUsage extends PlanLimits {
  plan: Plan;
  /** Access tokens in use now, counted against `accessTokens`. */
  activeAccessTokens: number;
}

export class PlanService {
  constructor(private readonly em: EntityManager) {}

  async usage(user: User): Promise<PlanUsage> {
    const activeAccessTokens = await this.em.count(AccessToken, { user, revokedAt: null });
    return { plan: user.plan, ...PLAN_LIMITS[user.plan], activeAccessTokens };
  }
}
