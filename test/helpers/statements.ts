import type { PreparedStatements } from '../../src/db/adapter';
import type { TestServer } from './app';

export interface StatementCall {
  name: string;
  values: unknown[];
}

/**
 * The server's prepared statements, recording each call before running it
 * (or refusing it, with `fail`): to count what a component sends the
 * database while it still talks to the real one.
 */
export function recordingStatements(
  server: TestServer,
  options: { fail?: boolean } = {},
): { statements: PreparedStatements; calls: StatementCall[] } {
  const calls: StatementCall[] = [];
  const real = server.app.deps.statements;
  const statements = {
    query: (name: string, text: string, values: unknown[]) => {
      calls.push({ name, values });
      return options.fail ? Promise.reject(new Error('refused')) : real.query(name, text, values);
    },
  } as PreparedStatements;
  return { statements, calls };
}
