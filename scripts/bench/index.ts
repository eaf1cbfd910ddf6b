/**
 * `npm run bench`: the service against a raw node:http + pg baseline, on one
 * fresh database, in one run.
 *
 * Seeds N users with tokens (and, for the growth table, one user per size
 * holding that many rows of each kind), starts the server (production mode)
 * and the baseline as separate processes, then drives each path for a fixed
 * time at fixed concurrency, interleaved with the baseline, for several
 * rounds, and prints req/s, p50, p99, peak RSS, CPU µs/request and errors,
 * each with its ratio to the baseline of the same round (median over rounds),
 * then whether each goal (docs/performance.md) is met, then the growth table.
 * The load generator (autocannon) runs in a child process of its own, forked
 * for each run (`load.ts`), never in this process.
 *
 *   npm run bench                           # 10k users, 5 rounds of 8 s per path, 64 connections, growth table
 *   npm run bench -- --rounds 3 --duration 20 --connections 64 --users 10000
 *   npm run bench -- --smoke                # 1 s per path, small growth table; keeps the harness working (CI)
 *   npm run bench -- --env HEAP_GROWING_PERCENT=20   # a server setting, for paired runs (repeatable)
 *   npm run bench -- --only 'whole viewer'  # the paths whose name contains this (repeatable)
 *   npm run bench -- --growth 1,100,1000,10000 --growth-duration 4   # the growth table's sizes (--growth 0: none)
 *   npm run bench -- --cpu-prof .bench/prof # the service writes a V8 CPU profile there on exit
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import { migrate } from '../../src/infra/db/database';
import { entities } from '../../src/entities';
import { ormConfig } from '../../src/infra/db/orm-config';
import { freePort } from '../free-port';
import { startTempPostgres } from '../temp-postgres';
import type { LoadJob, LoadResult, SignIns } from './load';
import { BENCH_PASSWORD, seedHeavyUsers, seedUsers, type HeavyUser } from './seed';

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
  /** Rows of each kind held by the users of the growth table (`--growth 1,100`); none when empty. */
  growth: number[];
  /** Seconds each path of the growth table runs per size. */
  growthDuration: number;
  /** Rows of each kind held by the user of the table's export and members rows. */
  heavyRows: number;
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
  const growthArg = repeated(argv, '--growth')[0];
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
        growth: [1, 30],
        growthDuration: 1,
        heavyRows: 30,
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
        growth: [1, 100, 1000, 10_000],
        growthDuration: 4,
        heavyRows: 1000,
      };
  for (const key of ['users', 'duration', 'rounds', 'connections', 'warmup'] as const) {
    const at = argv.indexOf(`--${key}`);
    if (at >= 0) options[key] = Number(argv[at + 1]);
  }
  const growthDuration = repeated(argv, '--growth-duration')[0];
  if (growthDuration) options.growthDuration = Number(growthDuration);
  const heavyRows = repeated(argv, '--heavy-rows')[0];
  if (heavyRows) options.heavyRows = Number(heavyRows);
  if (growthArg !== undefined)
    options.growth = growthArg
      .split(',')
      .map(Number)
      .filter((n) => n > 0);
  return options;
}

interface Scenario {
  name: string;
  /**
   * `baseline`: the profile's ceiling; `ceiling`: the growth paths' ceilings,
   * the same script in a process of its own, so that the heap their large
   * answers grow is not counted in the profile baseline's RSS.
   */
  target: 'baseline' | 'ceiling' | 'server';
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  /** Sign-ins per second to run beside the load (production scrypt cost). */
  signInsPerSecond?: number;
  /** Driven with the token of the user holding `heavyRows` rows of each kind, not the seeded users'. */
  heavy?: boolean;
  /**
   * The baseline path it is paired with, when not the profile's (`/profile`):
   * a path of baseline.ts doing the same work with node:http + pg.
   */
  ceiling?: Scenario;
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
/** The page size the first-page paths ask for. */
const PAGE_SIZE = 20;
/** The first page of each of the viewer's organizations' members, as a members screen asks for it. */
const MEMBERS_QUERY = gql(`{ viewer { organizations { organization { id
  members(first: ${PAGE_SIZE}) { edges { cursor node { id role joinedAt user { id name email avatarUrl } } } pageInfo { endCursor hasNextPage } } } } } }`);
/** The first page of each of the viewer's organizations' invitations. */
const INVITATIONS_QUERY = gql(`{ viewer { organizations { organization { id
  invitations(first: ${PAGE_SIZE}) { edges { cursor node { id email role status createdAt expiresAt inviterName } } pageInfo { endCursor hasNextPage } } } } } }`);
/** The export (SPEC's REST path; whatever the service does behind it is what is measured). */
const EXPORT_PATH = '/api/user/data-export';

/** The ceilings of the growth study's paths (baseline.ts): the same work, node:http + pg. */
function ceilings(heavyRows: number): { members: Scenario; export: Scenario } {
  return {
    members: {
      name: `ceiling of the members page: node:http + pg (organization of ${heavyRows})`,
      target: 'ceiling',
      method: 'GET',
      path: '/members',
      heavy: true,
    },
    export: {
      name: `ceiling of the export: node:http + pg (${heavyRows} rows of each kind)`,
      target: 'ceiling',
      method: 'GET',
      path: '/export',
      heavy: true,
    },
  };
}

function scenarios(heavyRows: number): Scenario[] {
  const ceiling = ceilings(heavyRows);
  return [
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
      name: `GraphQL members, first page (organization of ${heavyRows})`,
      target: 'server',
      method: 'POST',
      path: '/graphql',
      body: MEMBERS_QUERY,
      heavy: true,
      ceiling: ceiling.members,
    },
    {
      name: 'GraphQL viewer.profile + 2 sign-ins/s',
      target: 'server',
      method: 'POST',
      path: '/graphql',
      body: PROFILE_QUERY,
      signInsPerSecond: 2,
    },
    {
      name: `REST GET ${EXPORT_PATH} (${heavyRows} rows of each kind)`,
      target: 'server',
      method: 'GET',
      path: EXPORT_PATH,
      heavy: true,
      ceiling: ceiling.export,
    },
  ];
}

interface Measure extends LoadResult {
  /** Peak resident set size of the serving process during the run, MiB. */
  rssMb: number;
  /** CPU time of the serving process per answered request, in µs. */
  cpuUs: number;
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

/** Samples a process's RSS until stopped; answers the peak. */
function rssSampler(pid: number, everyMs = 100): () => number {
  let peak = rssMb(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, everyMs);
  return () => {
    clearInterval(timer);
    return Math.max(peak, rssMb(pid));
  };
}

/**
 * One run of the load generator, in a process of its own (load.ts): the
 * server's CPU time and RSS are taken from the moment the generator, already
 * loaded, is handed the job until it answers.
 */
async function drive(job: LoadJob, pid: number): Promise<Measure> {
  const child = fork(path.join(__dirname, 'load.js'), [], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  try {
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`the load generator exited (${code})`))),
    );
    const message = <T>() =>
      Promise.race([new Promise<T>((resolve) => child.once('message', resolve)), exited]);
    await message<{ ready: true }>();
    const stopSampling = rssSampler(pid);
    const cpuBefore = cpuTimeUs(pid);
    child.send(job);
    const result = await message<LoadResult>();
    const cpuUs = (cpuTimeUs(pid) - cpuBefore) / Math.max(1, result.total);
    const measure = { ...result, rssMb: stopSampling(), cpuUs };
    await settle(pid);
    return measure;
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/**
 * Waits until the serving process is idle (under 5 % of a core over 300 ms,
 * at most 60 s): a run's load generator stops at its deadline, but the
 * requests still queued in the server go on costing CPU, and must not be
 * counted in the next run (an export path leaves seconds of work behind).
 */
async function settle(pid: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const before = cpuTimeUs(pid);
    await new Promise((resolve) => setTimeout(resolve, 300));
    if (cpuTimeUs(pid) - before < 0.05 * 300_000) return;
  }
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

const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
const table = (header: string[], rows: string[][]) =>
  [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');

/** A path's medians and ratios, as the table shows them and the goals read them. */
interface Row {
  name: string;
  /** A baseline row (the profile's ceiling, or a growth path's): its ratios are 1. */
  baseline: boolean;
  runs: Measure[];
  /** Each a median over rounds of the ratio within a pair (1 for a baseline row). */
  rpsRatio: number;
  p99Ratio: number;
  rssRatio: number;
  cpuRatio: number;
  errors: number;
}

/**
 * The table's rows: the profile's baseline first (over the pairs of the
 * paths measured against it), then each path, a growth path's own ceiling
 * just before it. A path's ratios are taken within each of its pairs, then
 * the median over rounds.
 */
function summarize(scenarioList: readonly Scenario[], pairs: Pair[][]): Row[] {
  const [baseline, ...services] = scenarioList;
  const pairsOf = (s: number) => pairs.map((round) => round[s] as Pair);
  const row = (name: string, ofPairs: Pair[], asBaseline: boolean): Row => {
    const runs = ofPairs.map((p) => (asBaseline ? p.baseline : p.measure));
    const ratio = (pick: (m: Measure) => number) =>
      asBaseline ? 1 : median(ofPairs.map((p) => pick(p.measure) / pick(p.baseline)));
    return {
      name,
      baseline: asBaseline,
      runs,
      rpsRatio: ratio((m) => m.rps),
      p99Ratio: ratio((m) => m.p99),
      rssRatio: ratio((m) => m.rssMb),
      cpuRatio: ratio((m) => m.cpuUs),
      errors: runs.reduce((sum, m) => sum + m.errors, 0),
    };
  };
  const rows: Row[] = [
    row(
      baseline?.name ?? 'baseline',
      services.flatMap((scenario, s) => (scenario.ceiling ? [] : pairsOf(s))),
      true,
    ),
  ];
  services.forEach((scenario, s) => {
    if (scenario.ceiling) rows.push(row(scenario.ceiling.name, pairsOf(s), true));
    rows.push(row(scenario.name, pairsOf(s), false));
  });
  // The profile's baseline has no row when only growth paths ran (`--only`).
  return rows.filter((r) => r.runs.length > 0);
}

function report(options: Options, scenarioList: readonly Scenario[], pairs: Pair[][]): string {
  const rows = summarize(scenarioList, pairs).map((row) => {
    const runs = row.runs;
    const signIns = runs.map((m) => m.signIns).filter((x) => x !== undefined);
    const extra = signIns.length ? ` (sign-ins: ${describeSignIns(signIns)})` : '';
    return [
      row.name,
      median(runs.map((m) => m.rps)).toFixed(0),
      row.rpsRatio.toFixed(2),
      median(runs.map((m) => m.p50)).toFixed(1),
      median(runs.map((m) => m.p99)).toFixed(1),
      row.p99Ratio.toFixed(2),
      median(runs.map((m) => m.rssMb)).toFixed(0),
      row.rssRatio.toFixed(2),
      median(runs.map((m) => m.cpuUs)).toFixed(0),
      row.cpuRatio.toFixed(2),
      errorsOf(runs) + extra,
    ];
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
  return [
    `${options.rounds} round(s); each path ran ${options.duration} s right after a ${options.duration} s run of its baseline (the profile's, or a growth path's own ceiling, the row above it), at ${options.connections} connections, over ${options.users} users. Medians over rounds; ratios within each pair.`,
    '',
    table(header, rows),
  ].join('\n');
}

/**
 * The goals of docs/performance.md ("Goals"), each said met or not met with
 * its number. Ratios are the table's: medians over rounds of the ratio to the
 * baseline run just before. Nothing is asserted: times belong to the machine.
 */
function goals(scenarioList: readonly Scenario[], pairs: Pair[][]): string[] {
  const all = summarize(scenarioList, pairs);
  const rows = all.filter((row) => !row.baseline);
  const lines: string[] = [];
  const say = (met: boolean, what: string) =>
    lines.push(`- ${met ? 'met    ' : 'NOT MET'}  ${what}`);
  const throughput: [string, number][] = [
    ['REST GET /api/user/profile', 0.9],
    ['GraphQL viewer.profile', 0.7],
    ['GraphQL whole viewer', 0.6],
  ];
  for (const [name, goal] of throughput) {
    const row = rows.find((r) => r.name === name);
    if (row)
      say(
        row.rpsRatio >= goal,
        `${name}: req/s ${row.rpsRatio.toFixed(2)}× the baseline (goal ≥ ${goal.toFixed(2)})`,
      );
  }
  // A growth path is measured against its own ceiling (the same work, node:http + pg).
  const against = (row: Row) =>
    scenarioList.find((scenario) => scenario.name === row.name)?.ceiling
      ? 'its ceiling'
      : 'the baseline';
  for (const row of rows)
    say(
      row.p99Ratio <= 2,
      `${row.name}: p99 ${row.p99Ratio.toFixed(2)}× ${against(row)} (goal ≤ 2)`,
    );
  for (const row of rows)
    say(
      row.rssRatio <= 1.8,
      `${row.name}: peak RSS ${row.rssRatio.toFixed(2)}× ${against(row)} (goal ≤ 1.8)`,
    );
  const errors = all.reduce((sum, row) => sum + row.errors, 0);
  say(errors === 0, `errors: ${errors} (goal 0)`);
  return lines;
}

interface GrowthRow {
  rows: number;
  viewer: Measure;
  members: Measure;
  invitations: Measure;
  /** Sequential exports: median wall ms, server CPU ms per export, size KiB. */
  exportMs: number;
  exportCpuMs: number;
  exportKiB: number;
  /** Eight exports at once: RSS before and peak, MiB; median and slowest wall s; failures. */
  burstRssBefore: number;
  burstRssPeak: number;
  burstP50s: number;
  burstMaxS: number;
  burstFailed: number;
}

async function exportOnce(url: string, token: string): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const body = await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`export answered ${response.status}`);
  return { ms: performance.now() - started, bytes: body.byteLength };
}

/** A GraphQL read of the growth table, with one user's token. */
function growthJob(user: HeavyUser, baseUrl: string, body: string, options: Options): LoadJob {
  return {
    url: `${baseUrl}/graphql`,
    method: 'POST',
    body,
    tokens: [user.token],
    connections: options.connections,
    seconds: options.growthDuration,
    timeout: 30,
    graphql: true,
  };
}

/**
 * The restarted service's warm-up, with the smallest size's user: each read
 * for `--warmup` seconds and one export, so that the first row is measured on
 * a service as warm as the last (compiled code, compiled queries, prepared
 * statements), as the table's rows are.
 */
async function warmGrowth(user: HeavyUser, baseUrl: string, pid: number, options: Options) {
  for (const body of [VIEWER_QUERY, MEMBERS_QUERY, INVITATIONS_QUERY])
    await drive({ ...growthJob(user, baseUrl, body, options), seconds: options.warmup }, pid);
  await exportOnce(`${baseUrl}${EXPORT_PATH}`, user.token);
}

async function growthRow(
  user: HeavyUser,
  baseUrl: string,
  pid: number,
  options: Options,
): Promise<GrowthRow> {
  const job = (body: string) => growthJob(user, baseUrl, body, options);
  const viewer = await drive(job(VIEWER_QUERY), pid);
  const members = await drive(job(MEMBERS_QUERY), pid);
  const invitations = await drive(job(INVITATIONS_QUERY), pid);
  const url = `${baseUrl}${EXPORT_PATH}`;
  // Sequential exports, the server otherwise idle: its CPU time over them is theirs.
  const times = user.rows >= 10_000 || options.smoke ? 2 : 3;
  const cpuBefore = cpuTimeUs(pid);
  const sequential: { ms: number; bytes: number }[] = [];
  for (let i = 0; i < times; i++) sequential.push(await exportOnce(url, user.token));
  const exportCpuMs = (cpuTimeUs(pid) - cpuBefore) / 1000 / times;
  // The burst: eight at once, as the growth study ran them.
  const burstRssBefore = rssMb(pid);
  const stopSampling = rssSampler(pid, 50);
  const burst = await Promise.allSettled(
    Array.from({ length: 8 }, () => exportOnce(url, user.token)),
  );
  const burstRssPeak = stopSampling();
  const burstMs = burst.flatMap((r) => (r.status === 'fulfilled' ? [r.value.ms] : []));
  return {
    rows: user.rows,
    viewer,
    members,
    invitations,
    exportMs: median(sequential.map((s) => s.ms)),
    exportCpuMs,
    exportKiB: median(sequential.map((s) => s.bytes)) / 1024,
    burstRssBefore,
    burstRssPeak,
    burstP50s: median(burstMs) / 1000,
    burstMaxS: Math.max(0, ...burstMs) / 1000,
    burstFailed: burst.length - burstMs.length,
  };
}

function growthReport(options: Options, rows: GrowthRow[]): string[] {
  const perPath = (m: Measure) =>
    `${m.cpuUs.toFixed(0)} µs, p50 ${m.p50.toFixed(0)} ms${m.errors ? `, ${m.errors} errors` : ''}`;
  const lines = [
    `Growth: one user per size holding that many access tokens (one active), activity events, members of its organization and pending invitations it sent. Each read ran ${options.growthDuration} s at ${options.connections} connections with that user's token (CPU µs of the server per request, p50); exports ran one at a time (median wall, server CPU per export, size), then eight at once (server RSS before → peak, median and slowest wall).`,
    '',
    table(
      [
        'rows of each kind',
        'whole viewer',
        'members, first page',
        'invitations, first page',
        'export: wall ms',
        'export: CPU ms',
        'export: KiB',
        'export CPU µs per added row',
        '8 exports: RSS MiB',
        '8 exports: p50 / max s',
      ],
      rows.map((row) => [
        String(row.rows),
        perPath(row.viewer),
        perPath(row.members),
        perPath(row.invitations),
        row.exportMs.toFixed(0),
        row.exportCpuMs.toFixed(1),
        row.exportKiB.toFixed(0),
        // What each row beyond the smallest size's costs: four kinds of N rows each.
        row === rows[0]
          ? '–'
          : (
              ((row.exportCpuMs - (rows[0]?.exportCpuMs ?? 0)) * 1000) /
              (4 * (row.rows - (rows[0]?.rows ?? 0)))
            ).toFixed(1),
        `${row.burstRssBefore.toFixed(0)} → ${row.burstRssPeak.toFixed(0)}`,
        `${row.burstP50s.toFixed(2)} / ${row.burstMaxS.toFixed(2)}${row.burstFailed ? ` (${row.burstFailed} failed)` : ''}`,
      ]),
    ),
    '',
  ];
  const first = rows[0];
  const last = rows[rows.length - 1];
  if (!first || !last || first === last) return lines;
  const spread = (values: number[]) => Math.max(...values) / Math.min(...values);
  const say = (met: boolean, what: string) =>
    lines.push(`- ${met ? 'met    ' : 'NOT MET'}  ${what}`);
  for (const [name, pick] of [
    ['whole viewer', (r: GrowthRow) => r.viewer],
    ['members, first page', (r: GrowthRow) => r.members],
    ['invitations, first page', (r: GrowthRow) => r.invitations],
  ] as const) {
    const ratio = spread(rows.map((r) => pick(r).cpuUs));
    // A first page holds min(rows, 20) rows: also said over the sizes where it is full.
    const full = rows.filter((r) => r.rows >= PAGE_SIZE);
    const fullNote =
      name !== 'whole viewer' && full.length >= 2 && full.length < rows.length
        ? `; ${spread(full.map((r) => pick(r).cpuUs)).toFixed(2)}× over the sizes whose page is full`
        : '';
    say(
      ratio <= 2,
      `${name}: CPU per request from ${first.rows} to ${last.rows} rows within ${ratio.toFixed(2)}× (most / least${fullNote}; goal: flat within 2×)`,
    );
  }
  say(
    last.burstRssPeak < 300,
    `8 exports at once of ${last.rows} rows each: peak RSS ${last.burstRssPeak.toFixed(0)} MiB (goal < 300)`,
  );
  say(
    last.exportCpuMs < 1000,
    `one export of ${last.rows} rows of each kind: ${last.exportCpuMs.toFixed(0)} ms of CPU (goal < 1000)`,
  );
  const failed = rows.reduce(
    (sum, r) => sum + r.burstFailed + r.viewer.errors + r.members.errors + r.invitations.errors,
    0,
  );
  say(failed === 0, `growth runs: ${failed} failed requests (goal 0)`);
  return lines;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const all = scenarios(options.heavyRows);
  // The baseline always runs: every other row is measured against it.
  const chosen = all.filter(
    (scenario, i) =>
      i === 0 || options.only.length === 0 || options.only.some((o) => scenario.name.includes(o)),
  );
  if (chosen.length < 2 && options.growth.length === 0)
    throw new Error(`--only ${options.only.join(', ')}: no such path`);
  const log = (message: string) => process.stderr.write(`${message}\n`);
  const load = () =>
    loadavg()
      .map((n) => n.toFixed(2))
      .join(' ');
  const startedAt = new Date();
  const loadBefore = load();
  log(`load average ${loadBefore}; starting PostgreSQL…`);
  // Commits do not wait for the disk: both sides share this database, and the
  // service's few writes (activity, token use) should cost CPU here, not the
  // fsync latency of whatever disk the benchmark happens to run on.
  const pg = await startTempPostgres('bench', { synchronous_commit: 'off' });
  const children: ChildProcess[] = [];
  let stopped: Promise<void> | undefined;
  const stopAll = () =>
    (stopped ??= (async () => {
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
    })());
  // Interrupted (Ctrl-C, a timeout's SIGTERM): the servers and PostgreSQL stop too.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void stopAll().finally(() => process.exit(1)));
  try {
    const orm = await MikroORM.init(ormConfig({ clientUrl: pg.url, entities }));
    await migrate(orm, pg.url);
    await orm.close(true);
    log(`seeding ${options.users} users…`);
    const users = await seedUsers(pg.url, options.users, 14);
    const heavySizes = [...new Set([...options.growth, options.heavyRows])].sort((a, b) => a - b);
    log(`seeding users holding ${heavySizes.join(', ')} rows of each kind…`);
    const heavy = await seedHeavyUsers(pg.url, heavySizes);
    const heavyUser = heavy.find((h) => h.rows === options.heavyRows) as HeavyUser;
    log('starting the server and the baseline…');
    // Half the users take the load; the other half sign in beside it, each once.
    const loadTokens = users.slice(0, Math.ceil(users.length / 2)).map((u) => u.token);
    const signInEmails = users.slice(Math.ceil(users.length / 2)).map((u) => u.email);

    const [serverPort, baselinePort, ceilingPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const masterKeys = `bench:${randomBytes(32).toString('base64')}`;
    const startService = () =>
      startProcess(
        'dist/src/main.js',
        {
          NODE_ENV: 'production',
          // Nothing is mailed during a benchmark (README, "Email").
          MAIL_TRANSPORT: 'log',
          HOST: '127.0.0.1',
          PORT: String(serverPort),
          DATABASE_URL: pg.url,
          MASTER_KEYS: masterKeys,
          SCRYPT_LOG_N: '14',
          LOG_LEVEL: 'info',
          // The export is limited to 10 an hour per account; the bench measures what one costs.
          RATE_LIMITS: 'dataExport=999999999/3600',
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
    let server = startService();
    const startBaseline = (port: number) =>
      startProcess('dist/scripts/bench/baseline.js', { PORT: String(port), DATABASE_URL: pg.url });
    const baseline = startBaseline(baselinePort);
    const ceiling = startBaseline(ceilingPort);
    children.push(server, baseline, ceiling);
    const urls = {
      server: `http://127.0.0.1:${serverPort}`,
      baseline: `http://127.0.0.1:${baselinePort}`,
      ceiling: `http://127.0.0.1:${ceilingPort}`,
    };
    await Promise.all([
      waitUntilUp(`${urls.server}/healthz`),
      waitUntilUp(`${urls.baseline}/profile`),
      waitUntilUp(`${urls.ceiling}/profile`),
    ]);
    const pids = {
      server: server.pid ?? 0,
      baseline: baseline.pid ?? 0,
      ceiling: ceiling.pid ?? 0,
    };

    const jobOf = (scenario: Scenario, seconds: number): LoadJob => ({
      url: `${urls[scenario.target]}${scenario.path}`,
      method: scenario.method,
      ...(scenario.body ? { body: scenario.body } : {}),
      tokens: scenario.heavy ? [heavyUser.token] : loadTokens,
      connections: options.connections,
      seconds,
      timeout: 30,
      graphql: scenario.path === '/graphql',
      ...(scenario.signInsPerSecond
        ? {
            signIns: {
              perSecond: scenario.signInsPerSecond,
              url: `${urls.server}/graphql`,
              password: BENCH_PASSWORD,
              emails: signInEmails.splice(0, Math.ceil(scenario.signInsPerSecond * seconds) + 1),
            },
          }
        : {}),
    });
    const run = (scenario: Scenario, seconds = options.duration) =>
      drive(jobOf(scenario, seconds), pids[scenario.target]);

    // Each ceiling answers, and about as much as the path it stands for (one request each).
    for (const scenario of chosen) {
      if (!scenario.ceiling) continue;
      const sizes = await Promise.all(
        [scenario.ceiling, scenario].map(async (s) => {
          const response = await fetch(`${urls[s.target]}${s.path}`, {
            method: s.method,
            headers: {
              authorization: `Bearer ${heavyUser.token}`,
              ...(s.body ? { 'content-type': 'application/json' } : {}),
            },
            ...(s.body ? { body: s.body } : {}),
          });
          const body = await response.arrayBuffer();
          if (response.status !== 200) throw new Error(`${s.name} answered ${response.status}`);
          return body.byteLength;
        }),
      );
      log(`${scenario.name}: ${sizes[1]} bytes; its ceiling: ${sizes[0]} bytes`);
    }
    log('warming up…');
    for (const scenario of chosen) {
      if (scenario.signInsPerSecond || scenario.path === EXPORT_PATH) continue;
      if (scenario.ceiling) await run(scenario.ceiling, options.warmup);
      await run(scenario, options.warmup);
    }
    const [baselineScenario, ...services] = chosen as [Scenario, ...Scenario[]];
    const rounds: Pair[][] = Array.from({ length: options.rounds }, () => []);
    // The sign-in rows run after every round of the others, and the export
    // rows after those (each phase keeps the table's order in each round):
    // the C allocator keeps memory scrypt's 16 MiB buffers used, and V8 keeps
    // the heap a burst of exports grew, which is neither the other paths' RSS.
    const phases = [
      services.filter((s) => !s.signInsPerSecond && s.path !== EXPORT_PATH),
      services.filter((s) => s.signInsPerSecond),
      services.filter((s) => s.path === EXPORT_PATH),
    ];
    const ordered = phases.flat();
    for (const phase of phases) {
      for (const [index, pairs] of rounds.entries()) {
        for (const scenario of phase) {
          const baseline = await run(scenario.ceiling ?? baselineScenario);
          const measure = await run(scenario);
          pairs[ordered.indexOf(scenario)] = { baseline, measure };
          // Each pair on its own line (stderr), to see how far the rounds agree.
          log(
            `round ${index + 1}/${options.rounds}: ${scenario.name}: ` +
              `${measure.rps.toFixed(0)} req/s (${(measure.rps / baseline.rps).toFixed(2)}× ` +
              `${scenario.ceiling ? 'its ceiling' : 'the baseline'}'s ${baseline.rps.toFixed(0)}), p99 ${measure.p99} ms ` +
              `(${(measure.p99 / baseline.p99).toFixed(2)}×), ${measure.cpuUs.toFixed(0)} µs/req ` +
              `(${(measure.cpuUs / baseline.cpuUs).toFixed(2)}×), RSS ${measure.rssMb.toFixed(0)} MiB, ` +
              `${measure.errors} errors`,
          );
        }
      }
    }
    const growthUsers = heavy.filter((h) => options.growth.includes(h.rows));
    const growth: GrowthRow[] = [];
    if (growthUsers.length > 0 && ordered.length > 0) {
      // A fresh service for the growth table: its RSS (the export burst's
      // goal) then counts the growth rows' own work, not the heap the rows
      // above left behind (V8 keeps what it grew).
      log('restarting the service for the growth table…');
      const old = children.indexOf(server);
      server.kill('SIGTERM');
      await new Promise((resolve) =>
        server.exitCode === null ? server.once('exit', resolve) : resolve(null),
      );
      server = startService();
      children[old] = server;
      await waitUntilUp(`${urls.server}/healthz`);
      pids.server = server.pid ?? 0;
    }
    if (growthUsers[0]) {
      log('warming up the service for the growth table…');
      await warmGrowth(growthUsers[0], urls.server, pids.server, options);
    }
    for (const user of growthUsers) {
      log(`growth: ${user.rows} rows of each kind…`);
      growth.push(await growthRow(user, urls.server, pids.server, options));
    }
    const out: string[] = [
      `${startedAt.toISOString()}; load average (1, 5, 15 min) ${loadBefore} at the start, ${load()} at the end.`,
    ];
    const settings = Object.entries(options.serverEnv).map(([name, value]) => `${name}=${value}`);
    if (settings.length > 0) out.push(`Service run with ${settings.join(' ')}.`);
    const tableScenarios = [baselineScenario, ...ordered];
    if (ordered.length > 0) {
      out.push(
        report(options, tableScenarios, rounds),
        '',
        'Goals:',
        ...goals(tableScenarios, rounds),
      );
    }
    if (growth.length > 0) out.push('', ...growthReport(options, growth));
    process.stdout.write(`${out.join('\n')}\n`);
    // Times are not asserted (they belong to the machine), but every request must
    // succeed. The smoke run only keeps the harness working, so there a 503 (the
    // service shedding load on a slow machine) is reported, not a failure.
    const failed =
      rounds
        .flat()
        .flatMap((pair) => [pair.baseline, pair.measure])
        .reduce((sum, m) => sum + m.errors - (options.smoke ? m.shed : 0), 0) +
      growth.reduce(
        (sum, r) =>
          sum +
          r.burstFailed +
          [r.viewer, r.members, r.invitations].reduce(
            (s, m) => s + m.errors - (options.smoke ? m.shed : 0),
            0,
          ),
        0,
      );
    if (failed > 0) throw new Error(`${failed} requests failed (see the errors columns)`);
  } finally {
    await stopAll();
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
