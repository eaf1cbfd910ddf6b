import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';

/** A PostgreSQL of the test's own, which it can stop and start (scripts/pg-control.ts). */
export class ControlledPostgres {
  private constructor(
    private readonly child: ChildProcess,
    private readonly lines: Interface,
    readonly url: string,
  ) {}

  static async start(): Promise<ControlledPostgres> {
    const child = spawn(
      process.execPath,
      [path.join(__dirname, '..', '..', 'dist', 'scripts', 'pg-control.js')],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    const lines = createInterface({ input: child.stdout });
    const first = await nextLine(lines);
    const { url } = JSON.parse(first) as { url: string };
    return new ControlledPostgres(child, lines, url);
  }

  async stop(): Promise<void> {
    await this.command('stop', 'stopped');
  }

  async start(): Promise<void> {
    await this.command('start', 'started');
  }

  /** SIGSTOP of the server's processes: it keeps its connections open and answers nothing. */
  async freeze(): Promise<void> {
    await this.command('freeze', 'frozen');
  }

  /** SIGCONT of what `freeze` stopped. */
  async thaw(): Promise<void> {
    await this.command('thaw', 'thawed');
  }

  async quit(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin?.end('quit\n');
    await exited;
  }

  private async command(command: string, answer: string): Promise<void> {
    this.child.stdin?.write(`${command}\n`);
    const line = await nextLine(this.lines);
    if (line !== answer) throw new Error(`pg-control answered "${line}" to "${command}"`);
  }
}

function nextLine(lines: Interface): Promise<string> {
  return new Promise((resolve, reject) => {
    lines.once('line', resolve);
    lines.once('close', () => reject(new Error('pg-control exited')));
  });
}
