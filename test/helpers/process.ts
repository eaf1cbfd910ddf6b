import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { TEST_CONNECT_TIMEOUT_MS } from './connect-timeout';

export const MAIN = path.join(__dirname, '..', '..', 'dist', 'src', 'main.js');

export interface RunningServer {
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
}

/** The environment of a process a test starts: PATH, the tests' connect timeout, then `env`. */
export function childEnv(env: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '',
    DATABASE_CONNECT_TIMEOUT_MS: TEST_CONNECT_TIMEOUT_MS,
    ...env,
  };
}

/**
 * Runs the compiled server (`node dist/src/main.js`, what `npm start` runs;
 * with `cwd`, that checkout's) with the given environment and waits until its log says where it serves.
 */
export async function startServerProcess(
  env: Record<string, string>,
  options: { cwd?: string } = {},
): Promise<RunningServer> {
  const main = options.cwd ? path.join(options.cwd, 'dist', 'src', 'main.js') : MAIN;
  const child = spawn(process.execPath, [main], {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const ready = await Promise.race([
    new Promise<boolean>((resolve) => {
      const check = () => {
        if (output.includes('GraphQL served at')) resolve(true);
        else setTimeout(check, 50);
      };
      check();
    }),
    exited.then(() => false),
  ]);
  if (!ready) throw new Error(`server did not start:\n${output}`);
  return { child, output: () => output, exited };
}

/** Whether a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
