/**
 * `npm run bench`: the service against a raw node:http + pg baseline, on one
 * fresh database, in one run.
 *
 * Seeds N users with tokens, starts the server (production mode) and the
 * baseline as separate processes, then drives each path with autocannon for
 * a fixed time at fixed concurrency, interleaved, for several rounds (the
 * sign-in rows after all the others), and
 * prints req/s, p50, p99, peak RSS and errors, each with its ratio to the
 * baseline of the same round (median over rounds).
 *
 *   npm run bench                           # 10k users, 5 rounds of 8 s per path, 64 connections
 *   npm run bench -- --rounds 3 --duration 20 --connections 64 --users 10000
 *   npm run bench -- --smoke                # 1 s per path, about a minute in all; keeps the harness working (CI)
 *   npm run bench -- --env HEAP_GROWING_PERCENT=20   # a server setting, for paired runs (repeatable)
 *   npm run bench -- --only 'whole viewer'  # the paths whose name contains this (repeatable)
 *   npm run bench -- --cpu-prof .bench/prof # the service writes a V8 CPU profile there on exit
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import autocannon from 'autocannon';
import { migrate } from '../../src/infra/db/database';
import { entities } from '../../src/entities';
import { ormConfig } from '../../src/infra/db/orm-config';
import { freePort } from '../free-port';
import { startTempPostgres } from '../temp-postgres';
import { BENCH_PASSWORD, seedUsers, type SeededUser } from './seed';

interface Options {
  users: number;
  duration: number;
  rounds: number;
  connections: number;
  warmup: number;
  smoke: boolean;
  /** More environment for the service process (`--env NAME=VALUE`), for paired runs. */
  serverEnv: Record<string, string>;
  /** Only the paths whose name contains one of these (`--only`); all when empty. */
  only: string[];
  /** Where the service writes a CPU profile (`node --cpu-prof`) when it stops. */
  cpuProf: string | undefined;
}

/** Every value given to `--flag` (it may be repeated). */
function repeated(argv: string[], flag: string): string[] {
  return argv.flatMap((arg, i) => (arg === flag && argv[i + 1] ? [argv[i + 1] as string] : []));
}

function parseOptions(argv: string[]): Options {
  const smoke = argv.includes('--smoke');
  const serverEnv: Record<string, string> = {};
  for (const setting of repeated(argv, '--env')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(setting);
    if (!match?.[1]) throw new Error(`--env takes NAME=VALUE (got "${setting}")`);
    serverEnv[match[1]] = match[2] ?? '';
  }
  const only = repeated(argv, '--only');
  const cpuProf = repeated(argv, '--cpu-prof')[0];
  const options: Options = smoke
    ? {
        users: 300,
        duration: 1,
        rounds: 1,
        connections: 16,
        warmup: 0.5,
        smoke,
        serverEnv,
        only,
        cpuProf,
      }
    : {
        users: 10_000,
        duration: 8,
        rounds: 5,
        connections: 64,
        warmup: 3,
        smoke,
        serverEnv,
        only,
        cpuProf,
      };
  for (const key of ['users', 'duration', 'rounds', 'connections', 'warmup'] as const) {
    const at = argv.indexOf(`--${key}`);
    if (at >= 0) options[key] = Number(argv[at + 1]);
  }
  return options;
}

interface Scenario {
  name: string;
  target: 'baseline' | 'server';
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  /** Sign-ins per second to run beside the load (production scrypt cost). */
  signInsPerSecond?: number;
}

const gql = (query: string) => JSON.stringify({ query });
const PROFILE_QUERY = gql(
  '{ viewer { profile { id email name avatarUrl emailVerified plan createdAt } } }',
);
const VIEWER_QUERY = gql(`{ viewer { id
  profile { id email name jobTitle bio avatarUrl preferredStyle timezone emailVerified plan createdAt updatedAt lastActiveAt }
  accessTokens { id name createdAt lastUsedAt }
  apiKeys { id provider name maskedKey status createdAt }
  onboarding { completed completedAt preferences { company useCase teamSize prdStyle interests } }
  onboardingProgress { steps { id title completed } completedCount totalCount percentComplete nextStep { id } }
  planLimits { plan brands prompts competitors accessTokens contentScoresPerDay activeAccessTokens }
  organizations { role joinedAt organization { id name memberCount } } } }`);

const SCENARIOS: Scenario[] = [
  {
    name: 'baseline: node:http + pg, prepared',
    target: 'baseline',
    method: 'GET',
    path: '/profile',
  },
  {
    name: 'REST GET /api/user/profile',
    target: 'server',
    method: 'GET',
    path: '/api/user/profile',
  },
  {
    name: 'GraphQL viewer.profile',
    target: 'server',
    method: 'POST',
    path: '/graphql',
    body: PROFILE_QUERY,
  },
  {
    name: 'REST GET /api/users/profile',
    target: 'server',
    method: 'GET',
    path: '/api/users/profile',
  },
  {
    name: 'REST POST /api/user/activity',
    target: 'server',
    method: 'POST',
    path: '/api/user/activity',
  },
  {
    name: 'GraphQL whole viewer',
    target: 'server',
    method: 'POST',
    path: '/graphql',
    body: VIEWER_QUERY,
  },
  {
    name: 'GraphQL viewer.profile + 2 sign-ins/s',
    target: 'server',
    method: 'POST',
    path: '/graphql',
    body: PROFILE_QUERY,
    signInsPerSecond: 2,
  },
];

/** Sign-ins made beside the load: how many succeeded, and why the others failed. */
interface SignIns {
  ok: number;
  failed: Record<string, number>;
  /** Wall time of each successful sign-in, in ms. */
  ms: number[];
}

interface Measure {
  rps: number;
  p50: number;
  p99: number;
  rssMb: number;
  /** CPU time of the serving process per answered request, in µs. */
  cpuUs: number;
  /** Everything that did not succeed, `shed` included. */
  errors: number;
  /** 503 answers: the service shedding load (no pooled connection, scrypt queue full). */
  shed: number;
  signIns?: SignIns;
}

/** The serving process's CPU time so far (user + system), in µs. */
function cpuTimeUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (1/100 s).
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** The repository root (this file runs from dist/scripts/bench/). */
const root = path.join(__dirname, '..', '..', '..');

/** The Node flags `npm start` runs the server with (package.json). */
const START_FLAGS = (
  (
    JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts['start'] ?? ''
)
  .split(' ')
  .filter((word) => word.startsWith('--'));

function startProcess(
  script: string,
  env: Record<string, string>,
  nodeFlags: string[] = [],
): ChildProcess {
  return spawn(process.execPath, [...nodeFlags, path.join(root, script)], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function waitUntilUp(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const response = await fetch(url);
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not come up`);
}

/** Resident set size of a process, in MiB. */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function drive(
  scenario: Scenario,
  baseUrl: string,
  pid: number,
  users: SeededUser[],
  seconds: number,
  connections: number,
  signInPool: SeededUser[],
): Promise<Measure> {
  let next = 0;
  let peak = rssMb(pid);
  const cpuBefore = cpuTimeUs(pid);
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 100);
  const signIns: SignIns = { ok: 0, failed: {}, ms: [] };
  const fail = (why: string) => (signIns.failed[why] = (signIns.failed[why] ?? 0) + 1);
  const inFlight: Promise<unknown>[] = [];
  const signInTimer = scenario.signInsPerSecond
    ? setInterval(() => {
        const user = signInPool.pop();
        if (!user) return;
        const started = Date.now();
        const signIn = fetch(`${baseUrl}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            query:
              'mutation($i: CreateAccessTokenInput!) { createAccessToken(input: $i) { token } }',
            variables: { i: { email: user.email, password: BENCH_PASSWORD } },
          }),
        })
          .then(async (response) => {
            const body = (await response.json()) as {
              errors?: { extensions?: { code?: string } }[];
            };
            if (response.ok && !body.errors) {
              signIns.ok++;
              signIns.ms.push(Date.now() - started);
            } else fail(body.errors?.[0]?.extensions?.code ?? `HTTP ${response.status}`);
          })
          .catch(() => fail('network'));
        inFlight.push(signIn);
      }, 1000 / scenario.signInsPerSecond)
    : undefined;
  // A GraphQL error comes in a 200 as well: such answers count as errors too.
  let answeredWithErrors = 0;
  const graphql = scenario.path === '/graphql';
  const result = await autocannon({
    url: `${baseUrl}${scenario.path}`,
    connections,
    duration: seconds,
    requests: [
      {
        method: scenario.method,
        ...(scenario.body ? { body: scenario.body } : {}),
        setupRequest: (request) => {
          const user = users[next++ % users.length];
          return {
            ...request,
            headers: {
              ...request.headers,
              ...(scenario.body ? { 'content-type': 'application/json' } : {}),
              authorization: `Bearer ${user?.token ?? ''}`,
            },
          };
        },
        ...(graphql
          ? {
              onResponse: (status: number, body: string) => {
                if (status < 300 && body.includes('"errors"')) answeredWithErrors++;
              },
            }
          : {}),
      },
    ],
  });
  clearInterval(sampler);
  if (signInTimer) clearInterval(signInTimer);
  await Promise.all(inFlight);
  const cpuUs = (cpuTimeUs(pid) - cpuBefore) / Math.max(1, result.requests.total);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    rssMb: peak,
    cpuUs,
    errors: result.errors + result.timeouts + result.non2xx + answeredWithErrors,
    shed: result.statusCodeStats?.['503']?.count ?? 0,
    ...(scenario.signInsPerSecond ? { signIns } : {}),
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

/**
 * Each scenario's runs paired with the baseline run just before it: ratios
 * are taken within a pair, then the median over rounds, so that drift in what
 * the machine gives us (a shared VM) cancels out as far as it can.
 */
interface Pair {
  baseline: Measure;
  measure: Measure;
}

function describeSignIns(runs: SignIns[]): string {
  const failed = new Map<string, number>();
  for (const run of runs)
    for (const [why, n] of Object.entries(run.failed)) failed.set(why, (failed.get(why) ?? 0) + n);
  const ms = runs.flatMap((run) => run.ms);
  return [
    `${runs.reduce((sum, run) => sum + run.ok, 0)} ok, p50 ${median(ms).toFixed(0)} ms`,
    ...[...failed].map(([why, n]) => `${n} ${why}`),
  ].join(', ');
}

/** Failed requests, and how many of them were 503s (load shed), if any. */
function errorsOf(runs: Measure[]): string {
  const errors = runs.reduce((sum, m) => sum + m.errors, 0);
  const shed = runs.reduce((sum, m) => sum + m.shed, 0);
  return shed > 0 ? `${errors} (${shed} shed: 503)` : String(errors);
}

function report(options: Options, scenarios: readonly Scenario[], pairs: Pair[][]): string {
  const baselineRuns = pairs.flat().map((pair) => pair.baseline);
  const row = (
    name: string,
    runs: Measure[],
    ratio: (pick: (m: Measure) => number) => number,
    extra = '',
  ) => [
    name,
    median(runs.map((m) => m.rps)).toFixed(0),
    ratio((m) => m.rps).toFixed(2),
    median(runs.map((m) => m.p50)).toFixed(1),
    median(runs.map((m) => m.p99)).toFixed(1),
    ratio((m) => m.p99).toFixed(2),
    median(runs.map((m) => m.rssMb)).toFixed(0),
    ratio((m) => m.rssMb).toFixed(2),
    median(runs.map((m) => m.cpuUs)).toFixed(0),
    ratio((m) => m.cpuUs).toFixed(2),
    errorsOf(runs) + extra,
  ];
  const rows = [row(scenarios[0]?.name ?? 'baseline', baselineRuns, () => 1)];
  scenarios.slice(1).forEach((scenario, s) => {
    const runs = pairs.map((round) => round[s] as Pair);
    const ratio = (pick: (m: Measure) => number) =>
      median(runs.map((p) => pick(p.measure) / pick(p.baseline)));
    const signIns = runs.map((p) => p.measure.signIns).filter((x) => x !== undefined);
    const extra = signIns.length ? ` (sign-ins: ${describeSignIns(signIns)})` : '';
    rows.push(
      row(
        scenario.name,
        runs.map((p) => p.measure),
        ratio,
        extra,
      ),
    );
  });
  const header = [
    'path',
    'req/s',
    '× base',
    'p50 ms',
    'p99 ms',
    'p99 × base',
    'peak RSS MiB',
    'RSS × base',
    'CPU µs/req',
    'CPU × base',
    'errors',
  ];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    `${options.rounds} round(s); each path ran ${options.duration} s right after a ${options.duration} s baseline run, at ${options.connections} connections, over ${options.users} users. Medians over rounds; ratios within each pair.`,
    '',
    line(header),
    line(header.map(() => '---')),
    ...rows.map(line),
  ].join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  // The baseline always runs: every other row is measured against it.
  const scenarios = SCENARIOS.filter(
    (scenario, i) =>
      i === 0 || options.only.length === 0 || options.only.some((o) => scenario.name.includes(o)),
  );
  if (scenarios.length < 2) throw new Error(`--only ${options.only.join(', ')}: no such path`);
  const log = (message: string) => process.stderr.write(`${message}\n`);
  log('starting PostgreSQL…');
  // Commits do not wait for the disk: both sides share this database, and the
  // service's few writes (activity, token use) should cost CPU here, not the
  // fsync latency of whatever disk the benchmark happens to run on.
  const pg = await startTempPostgres('bench', { synchronous_commit: 'off' });
  const children: ChildProcess[] = [];
  try {
    const orm = await MikroORM.init(ormConfig({ clientUrl: pg.url, entities }));
    await migrate(orm, pg.url);
    await orm.close(true);
    log(`seeding ${options.users} users…`);
    const users = await seedUsers(pg.url, options.users, 14);
    log('starting the server and the baseline…');
    // Half the users take the load; the other half sign in beside it, each once.
    const loadUsers = users.slice(0, Math.ceil(users.length / 2));
    const signInPool = users.slice(Math.ceil(users.length / 2));

    const [serverPort, baselinePort] = [await freePort(), await freePort()];
    const server = startProcess(
      'dist/src/main.js',
      {
        NODE_ENV: 'production',
        // Nothing is mailed during a benchmark (README, "Email").
        MAIL_TRANSPORT: 'log',
        HOST: '127.0.0.1',
        PORT: String(serverPort),
        DATABASE_URL: pg.url,
        MASTER_KEYS: `bench:${randomBytes(32).toString('base64')}`,
        SCRYPT_LOG_N: '14',
        LOG_LEVEL: 'info',
        // As `npm start` sets it: scrypt's 16 MiB buffers go back to the system (README).
        MALLOC_MMAP_THRESHOLD_: '1048576',
        ...options.serverEnv,
      },
      [
        ...START_FLAGS,
        ...(options.cpuProf
          ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(options.cpuProf)}`]
          : []),
      ],
    );
    const baseline = startProcess('dist/scripts/bench/baseline.js', {
      PORT: String(baselinePort),
      DATABASE_URL: pg.url,
    });
    children.push(server, baseline);
    const urls = {
      server: `http://127.0.0.1:${serverPort}`,
      baseline: `http://127.0.0.1:${baselinePort}`,
    };
    await Promise.all([
      waitUntilUp(`${urls.server}/healthz`),
      waitUntilUp(`${urls.baseline}/profile`),
    ]);
    const pids = { server: server.pid ?? 0, baseline: baseline.pid ?? 0 };

    log('warming up…');
    for (const scenario of scenarios) {
      if (scenario.signInsPerSecond) continue;
      await drive(
        scenario,
        urls[scenario.target],
        pids[scenario.target],
        loadUsers,
        options.warmup,
        options.connections,
        [],
      );
    }
    const [baselineScenario, ...services] = scenarios as [Scenario, ...Scenario[]];
    const run = (scenario: Scenario) =>
      drive(
        scenario,
        urls[scenario.target],
        pids[scenario.target],
        loadUsers,
        options.duration,
        options.connections,
        signInPool,
      );
    const rounds: Pair[][] = Array.from({ length: options.rounds }, () => []);
    // The sign-in rows run after every round of the others (they are last in
    // SCENARIOS, so each round keeps the table's order): the C allocator keeps
    // memory scrypt's 16 MiB buffers used, which is not the other paths' RSS.
    const phases = [
      services.filter((scenario) => !scenario.signInsPerSecond),
      services.filter((scenario) => scenario.signInsPerSecond),
    ];
    for (const phase of phases) {
      for (const [index, pairs] of rounds.entries()) {
        for (const scenario of phase) {
          const baseline = await run(baselineScenario);
          const measure = await run(scenario);
          pairs.push({ baseline, measure });
          // Each pair on its own line (stderr), to see how far the rounds agree.
          log(
            `round ${index + 1}/${options.rounds}: ${scenario.name}: ` +
              `${measure.rps.toFixed(0)} req/s (${(measure.rps / baseline.rps).toFixed(2)}× ` +
              `the baseline's ${baseline.rps.toFixed(0)}), p99 ${measure.p99} ms ` +
              `(${(measure.p99 / baseline.p99).toFixed(2)}×)`,
          );
        }
      }
    }
    const settings = Object.entries(options.serverEnv).map(([name, value]) => `${name}=${value}`);
    if (settings.length > 0) process.stdout.write(`Service run with ${settings.join(' ')}.\n`);
    process.stdout.write(`${report(options, scenarios, rounds)}\n`);
    // Times are not asserted (they belong to the machine), but every request must
    // succeed. The smoke run only keeps the harness working, so there a 503 (the
    // service shedding load on a slow machine) is reported, not a failure.
    const failed = rounds
      .flat()
      .flatMap((pair) => [pair.baseline, pair.measure])
      .reduce((sum, m) => sum + m.errors - (options.smoke ? m.shed : 0), 0);
    if (failed > 0) throw new Error(`${failed} requests failed (see the errors column)`);
  } finally {
    log('stopping…');
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(
      children.map(
        (child) =>
          new Promise((resolve) =>
            child.exitCode === null ? child.once('exit', resolve) : resolve(null),
          ),
      ),
    );
    log('stopping PostgreSQL…');
    await pg.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  },
);
