/**
 * `npm run bench:statements`: what MikroORM's own statements cost PostgreSQL
 * and this process, sent three ways on one database:
 *
 *   inlined  MikroORM's stock driver: values formatted into the SQL text (what
 *            MikroORM 7 does by itself, and 6 did before it)
 *   unnamed  the adapter (src/infra/db/sql.ts): bound parameters, unnamed
 *            statements (parsed and planned on every execution)
 *   named    the adapter as the service runs it: bound parameters, each text
 *            a named statement, prepared once per connection
 *
 * The workload is the services' own code on their write and read paths
 * (sign-in lookup, token issue under the plan lock, profile and timezone
 * updates, provider-key upsert and removal, onboarding with invitations,
 * organization members, the export), run by CONCURRENCY workers over
 * distinct users. Modes alternate within each round, so drift of the machine
 * falls on all three; the table shows medians over rounds of PostgreSQL's CPU
 * (every backend of the cluster, from /proc) and this process's CPU, per
 * workload iteration.
 *
 *   npm run bench:statements                      # 5 rounds × 300 iterations per mode
 *   npm run bench:statements -- --rounds 3 --iterations 200
 */
import { randomBytes } from 'node:crypto';
import { Cursors } from '../../src/common/cursor';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { MikroORM, PostgreSqlDriver, type EntityManager } from '@mikro-orm/postgresql';
import { PreparedStatements, type StatementNames } from '../../src/infra/db/sql';
import { migrate } from '../../src/infra/db/database';
import { entities } from '../../src/entities';
import { ormConfig } from '../../src/infra/db/orm-config';
import { ExportService } from '../../src/modules/account/export.service';
import { ApiKeyService } from '../../src/modules/api-keys/api-key.service';
import { KeyRing } from '../../src/modules/api-keys/key-ring';
import { KEY_CHECK_DEFAULTS, ProviderKeyChecker } from '../../src/modules/api-keys/providers';
import { User } from '../../src/users/user.entity';
import { AccessToken } from '../../src/auth/access-token.entity';
import type { RateLimits } from '../../src/infra/rate-limits';
import { OnboardingService } from '../../src/modules/onboarding/onboarding.service';
import { InvitationService } from '../../src/modules/organizations/invitation.service';
import { InvitationPages } from '../../src/modules/organizations/invitation-pages';
import { MemberPages } from '../../src/modules/organizations/member-pages';
import { OrganizationService } from '../../src/modules/organizations/organization.service';
import { ProfileService } from '../../src/modules/profile/profile.service';
import { LockMode } from '@mikro-orm/core';
import { startTempPostgres } from '../temp-postgres';
import { seedUsers } from './seed';

type Mode = 'inlined' | 'unnamed' | 'named';
const MODES: Mode[] = ['inlined', 'unnamed', 'named'];
const CONCURRENCY = 8;

function option(argv: string[], name: string, fallback: number): number {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
}

/** CPU time (user + system) of every process whose parent is `postmaster`, in µs. */
function clusterCpuUs(postmaster: number): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      // ppid, utime and stime are fields 4, 14 and 15 (clock ticks of 10 ms).
      if (Number(fields[1]) === postmaster || Number(entry) === postmaster) {
        total += (Number(fields[11]) + Number(fields[12])) * 10_000;
      }
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

const noLimits = { consume: () => Promise.resolve() } as unknown as RateLimits;
const quiet = { warn: () => undefined, info: () => undefined } as never;
/** Validation off: the statements are counted, not the providers. */
const noChecks = new ProviderKeyChecker({
  ...KEY_CHECK_DEFAULTS,
  enabled: false,
  baseUrls: {},
  timeoutMs: 1_000,
  maxConcurrent: 1,
});

/** One iteration for one user: the services' statements on their usual paths. */
async function iteration(
  em: EntityManager,
  statements: PreparedStatements,
  keyRing: KeyRing,
  userId: string,
  n: number,
) {
  const fork = () => em.fork();
  const email = (await fork().findOneOrFail(User, { id: userId })).email;
  // Sign-in: the user by email with the lazy hash, then a token under the plan lock.
  await fork().findOne(User, { email }, { populate: ['passwordHash'] });
  await fork().transactional(async (tx) => {
    const locked = await tx.findOneOrFail(
      User,
      { id: userId },
      { lockMode: LockMode.PESSIMISTIC_WRITE },
    );
    await tx.count(AccessToken, { user: locked, revokedAt: null });
    tx.create(AccessToken, {
      user: locked,
      name: `t${n}`,
      tokenHash: randomBytes(32).toString('hex'),
    });
    await tx.flush();
  });
  const profileEm = fork();
  const user = await profileEm.findOneOrFail(User, { id: userId });
  const profiles = new ProfileService(profileEm);
  await profiles.update(user, { name: `Name ${n}`, bio: `Bio ${n}`, jobTitle: 'Engineer' });
  await profiles.updateTimezone(user, n % 2 ? 'Europe/Paris' : 'Asia/Kolkata');
  const keys = new ApiKeyService(fork, keyRing, quiet, noChecks, noLimits, NO_CLIENT);
  const added = await keys.add(user, {
    provider: 'openai',
    key: `sk-proj-${n}-abcdefgh`,
    name: 'k',
  });
  if (n % 2) await keys.remove(user, added.id);
  const onboardingEm = fork();
  const me = await onboardingEm.findOneOrFail(User, { id: userId });
  const done = await new OnboardingService(
    onboardingEm,
    new InvitationService(onboardingEm, noLimits, undefined),
    NO_CLIENT,
  ).complete(me, {
    fullName: `Name ${n}`,
    jobTitle: 'Engineer',
    company: 'Acme',
    useCase: 'Writing',
    teamSize: '2-10',
    prdStyle: 'short',
    interests: ['a', 'b'],
    createOrg: true,
    inviteEmails: [`a${n}@example.com`, `b${n}@example.com`],
  });
  if (done.organization) {
    const organizations = new OrganizationService(
      fork(),
      new Cursors(randomBytes(32)),
      new MemberPages(statements),
      new InvitationPages(statements),
    );
    await Promise.all([
      organizations.members(done.organization.id, {}),
      organizations.memberCount(done.organization.id),
      organizations.invitations(done.organization.id, 'owner', {}),
    ]);
  }
  await new ExportService(fork(), statements, keyRing, quiet, noLimits, NO_CLIENT).export(userId);
}

/** The security log's client for work done outside a request. */
const NO_CLIENT = { ip: null, userAgent: null };

interface Sample {
  pgUs: number;
  nodeUs: number;
  ms: number;
  /** Distinct statement texts that ran named (named mode). */
  named: number;
}

/** Runs `iterations` iterations on CONCURRENCY workers, each on its own user. */
async function run(
  mode: Mode,
  url: string,
  postmaster: number,
  userIds: string[],
  iterations: number,
  keyRing: KeyRing,
): Promise<Sample> {
  const config = ormConfig({
    clientUrl: url,
    entities,
    preparedStatements: mode === 'named' ? 'named' : 'unnamed',
  });
  const orm = await MikroORM.init(
    mode === 'inlined' ? { ...config, driver: PostgreSqlDriver } : config,
  );
  const statements = new PreparedStatements(orm);
  try {
    const work = (count: number, from: number) =>
      Promise.all(
        userIds.map(async (userId, worker) => {
          for (let i = 0; i < count; i++)
            await iteration(orm.em, statements, keyRing, userId, from + i * CONCURRENCY + worker);
        }),
      );
    await work(1, 0); // connections open, and (named) statements prepared
    const pgBefore = clusterCpuUs(postmaster);
    const nodeBefore = process.cpuUsage();
    const started = performance.now();
    const perWorker = Math.ceil(iterations / CONCURRENCY);
    await work(perWorker, CONCURRENCY);
    const done = perWorker * CONCURRENCY;
    const node = process.cpuUsage(nodeBefore);
    return {
      pgUs: (clusterCpuUs(postmaster) - pgBefore) / done,
      nodeUs: (node.user + node.system) / done,
      ms: (performance.now() - started) / done,
      named:
        (config.driver as unknown as { statementNames?: StatementNames }).statementNames?.size ?? 0,
    };
  } finally {
    await orm.close(true);
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const rounds = option(argv, 'rounds', 5);
  const iterations = option(argv, 'iterations', 300);
  const log = (message: string) => process.stderr.write(`${message}\n`);
  const pg = await startTempPostgres('statements', { synchronous_commit: 'off' });
  try {
    const setup = await MikroORM.init(ormConfig({ clientUrl: pg.url, entities }));
    await migrate(setup, pg.url);
    const [backend] = await setup.em
      .getConnection()
      .execute<{ pid: number }[]>('select pg_backend_pid() as pid');
    // The backend's parent is the postmaster; every backend is its child.
    const postmaster = Number(
      readFileSync(`/proc/${backend?.pid ?? 0}/stat`, 'utf8')
        .split(') ')[1]
        ?.split(' ')[1],
    );
    const count = CONCURRENCY * rounds * MODES.length;
    log(`seeding ${count} users…`);
    await seedUsers(pg.url, count, 4);
    const ids = (
      await setup.em
        .getConnection()
        .execute<{ id: string }[]>('select id from users order by email')
    ).map((row) => row.id);
    await setup.close(true);
    const keyRing = new KeyRing([{ id: 'bench', key: randomBytes(32) }]);

    const samples: Record<Mode, Sample[]> = { inlined: [], unnamed: [], named: [] };
    for (let round = 0; round < rounds; round++) {
      // Rotated, so that no mode always runs first in a round.
      const order = MODES.map((_, i) => MODES[(i + round) % MODES.length] as Mode);
      for (const mode of order) {
        const start = (round * MODES.length + MODES.indexOf(mode)) * CONCURRENCY;
        const sample = await run(
          mode,
          pg.url,
          postmaster,
          ids.slice(start, start + CONCURRENCY),
          iterations,
          keyRing,
        );
        samples[mode].push(sample);
        log(
          `round ${round + 1} ${mode}: PostgreSQL ${sample.pgUs.toFixed(0)} µs, node ${sample.nodeUs.toFixed(0)} µs, ${sample.ms.toFixed(2)} ms per iteration${mode === 'named' ? `, ${sample.named} texts named` : ''}`,
        );
      }
    }
    const base = median(samples.inlined.map((s) => s.pgUs));
    process.stdout.write(
      [
        `${rounds} round(s) × ${iterations} iterations per mode, ${CONCURRENCY} workers; medians per iteration.`,
        '',
        '| statements | PostgreSQL CPU µs | × inlined | node CPU µs | wall ms |',
        '| --- | --- | --- | --- | --- |',
        ...MODES.map((mode) => {
          const pgUs = median(samples[mode].map((s) => s.pgUs));
          return `| ${mode} | ${pgUs.toFixed(0)} | ${(pgUs / base).toFixed(2)} | ${median(samples[mode].map((s) => s.nodeUs)).toFixed(0)} | ${median(samples[mode].map((s) => s.ms)).toFixed(2)} |`;
        }),
        '',
      ].join('\n'),
    );
  } finally {
    await pg.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
