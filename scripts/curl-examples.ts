/**
 * The curl examples of both API documents (docs/api-documents/*.txt), and
 * `npm run examples`, which runs each of them with curl against a running
 * server, as written but for the host and YOUR_API_KEY:
 *
 *   npm start                     # in another terminal
 *   npm run examples              # or: npm run examples -- http://localhost:4000
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export const DOCUMENTS = ['user-api.txt', 'users-api.txt'] as const;
const DOCUMENTED_HOSTS = /https:\/\/(app\.thig\.ai|api\.opensight\.ai)/g;
/** The repository root, from `scripts/` (jest) or `dist/scripts/` (node). */
const ROOT = [path.join(__dirname, '..'), path.join(__dirname, '..', '..')].find((dir) =>
  existsSync(path.join(dir, 'docs', 'api-documents')),
);

export interface CurlExample {
  document: string;
  /** The command exactly as the document prints it. */
  command: string;
}

export interface CurlResult {
  status: number;
  method: string;
  /** The path part of the URL. */
  path: string;
  body: string;
}

/**
 * The `curl` examples of an API document, verbatim: a command starts at a
 * line beginning with `curl` and ends at the first line that closes every
 * quote and does not continue with a backslash.
 */
export function curlExamples(documentFile: string): CurlExample[] {
  const lines = readFileSync(
    path.join(ROOT ?? '.', 'docs', 'api-documents', documentFile),
    'utf8',
  ).split('\n');
  const examples: CurlExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]?.startsWith('curl ')) continue;
    const command: string[] = [];
    let quote: string | undefined;
    for (; i < lines.length; i++) {
      const line = lines[i] ?? '';
      command.push(line);
      for (let c = 0; c < line.length; c++) {
        const char = line[c];
        if (char === '\\' && quote !== "'") c++;
        else if (char === quote) quote = undefined;
        else if (!quote && (char === "'" || char === '"')) quote = char;
      }
      if (!quote && !line.endsWith('\\')) break;
    }
    examples.push({ document: documentFile, command: command.join('\n') });
  }
  return examples;
}

/** `PATCH /api/users/password`: the method and path an example calls. */
export function describeExample(command: string): { method: string; path: string } {
  const url = /https?:\/\/[^\s"']+/.exec(command)?.[0] ?? 'http://invalid/';
  const method = /-X (\w+)/.exec(command)?.[1] ?? (/ -d /.test(command) ? 'POST' : 'GET');
  return { method, path: new URL(url).pathname };
}

/**
 * Runs an example the way a user would: the host replaced by `baseUrl`,
 * YOUR_API_KEY by `token`, executed by curl in `cwd` (where `-o` writes).
 * Asynchronous, so that a server in the same process keeps serving.
 */
export async function runCurl(
  example: CurlExample,
  baseUrl: string,
  token: string,
  cwd: string,
): Promise<CurlResult> {
  const command = example.command
    .replace(DOCUMENTED_HOSTS, baseUrl)
    .replace(/YOUR_API_KEY/g, token);
  const { stdout } = await promisify(execFile)(
    'bash',
    ['-c', `${command} -sS -w '\\n%{http_code}'`],
    {
      cwd,
      encoding: 'utf8',
    },
  );
  const newline = stdout.lastIndexOf('\n');
  return {
    status: Number(stdout.slice(newline + 1)),
    ...describeExample(command),
    body: stdout.slice(0, newline),
  };
}

async function main(): Promise<number> {
  const baseUrl = (process.argv[2] ?? 'http://localhost:4000').replace(/\/$/, '');
  // The password example changes OldPassword123 into NewPassword456.
  const email = `example-${Date.now().toString(36)}@example.com`;
  const signUp = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query:
        'mutation($email: String!) { signUp(input: {email: $email, password: "OldPassword123", name: "Jane"}) { token } }',
      variables: { email },
    }),
  });
  const { data } = (await signUp.json()) as { data?: { signUp: { token: string } } };
  if (!data) throw new Error(`sign-up at ${baseUrl}/graphql failed`);
  process.stdout.write(`Signed up ${email}; token ${data.signUp.token}\n\n`);
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'curl-examples-'));
  let failures = 0;
  for (const example of DOCUMENTS.flatMap(curlExamples)) {
    const result = await runCurl(example, baseUrl, data.signUp.token, cwd);
    if (result.status < 200 || result.status >= 300) failures++;
    process.stdout.write(
      `${result.status} ${result.method} ${result.path}\n${result.body || `(written to ${cwd})`}\n\n`,
    );
  }
  return failures === 0 ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`examples failed: ${String(error)}\n`);
      process.exit(1);
    },
  );
}
