/**
 * Operators set a user's plan here; the API itself never changes it.
 *   npm run plan:set -- <email> <free|starter|growth>
 */
import { normaliseEmail } from '../users/email';
import { PLANS, type Plan } from '../users/user.entity';
import { runCommand, UsageError } from './run';

runCommand('npm run plan:set -- <email> <free|starter|growth>', async ({ database, args }) => {
  const [email, plan] = args;
  if (!email || !plan || args.length !== 2) throw new UsageError('Expected an email and a plan.');
  if (!PLANS.includes(plan as Plan)) throw new UsageError(`Unknown plan "${plan}".`);
  const rows = await database.orm.em.fork().execute<{ id: string; before: string }[]>(
    `update users set plan = ?, updated_at = now()
     from (select id, plan as before from users where email = ? for update) previous
     where users.id = previous.id
     returning users.id, previous.before`,
    [plan, normaliseEmail(email)],
  );
  const [changed] = rows;
  if (!changed) {
    process.stderr.write(`No account with the email ${normaliseEmail(email)}.\n`);
    return 1;
  }
  process.stdout.write(`${changed.id}: plan ${changed.before} -> ${plan}\n`);
  return 0;
});
