/**
 * Operators set a user's plan here; the API itself never changes it.
 *   npm run plan:set -- <email> <free|starter|growth>
 */
import { LockMode } from '@mikro-orm/core';
import { normaliseEmail } from '../users/email';
import { PLANS, User, type Plan } from '../users/user.entity';
import { runCommand, UsageError } from './run';

runCommand('npm run plan:set -- <email> <free|starter|growth>', async ({ database, args }) => {
  const [email, plan] = args;
  if (!email || !plan || args.length !== 2) throw new UsageError('Expected an email and a plan.');
  if (!PLANS.includes(plan as Plan)) throw new UsageError(`Unknown plan "${plan}".`);
  const changed = await database.orm.em.fork().transactional(async (em) => {
    const user = await em.findOne(
      User,
      { email: normaliseEmail(email) },
      { lockMode: LockMode.PESSIMISTIC_WRITE },
    );
    if (!user) return undefined;
    const before = user.plan;
    user.plan = plan as Plan;
    return { id: user.id, before };
  });
  if (!changed) {
    process.stderr.write(`No account with the email ${normaliseEmail(email)}.\n`);
    return 1;
  }
  process.stdout.write(`${changed.id}: plan ${changed.before} -> ${plan}\n`);
  return 0;
});
