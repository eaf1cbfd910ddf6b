import type { PreparedStatements } from '../../src/infra/db/sql';
import type { TestServer } from './app';

export interface StatementCall {
  name: string;
  /** The text as prepared, `$n` placeholders and all. */
  text: string;
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
    columns: real.columns.bind(real),
    query: (name: string, text: string, values: unknown[]) => {
      calls.push({ name, text, values });
      return options.fail ? Promise.reject(new Error('refused')) : real.query(name, text, values);
    },
  } as unknown as PreparedStatements;
  return { statements, calls };
}
