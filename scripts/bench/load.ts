/**
 * The load generator of `npm run bench`, in a process of its own: the harness
 * forks one per run (`fork`, IPC), so autocannon's own CPU time and garbage
 * never land in the harness that samples the servers, and every run starts
 * from a fresh generator. wrk would cost less CPU per request, but it is not
 * installed everywhere this runs; autocannon is a dev dependency.
 *
 * Protocol: the child loads autocannon, sends `{ ready: true }`; the harness
 * sends a `LoadJob` (and starts measuring the server); the child sends back a
 * `LoadResult` and exits.
 */
import autocannon from 'autocannon';

export interface LoadJob {
  url: string;
  method: 'GET' | 'POST';
  body?: string;
  /** Bearer tokens, used in turn, one per request. */
  tokens: string[];
  connections: number;
  seconds: number;
  /** Seconds before a request counts as timed out. */
  timeout: number;
  /** Count 2xx answers that carry GraphQL `errors` as failures. */
  graphql: boolean;
  /** Sign-ins per second to run beside the load, with these accounts (each once). */
  signIns?: { perSecond: number; url: string; password: string; emails: string[] };
}

/** Sign-ins made beside the load: how many succeeded, and why the others failed. */
export interface SignIns {
  ok: number;
  failed: Record<string, number>;
  /** Wall time of each successful sign-in, in ms. */
  ms: number[];
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  /** Answered requests (any status). */
  total: number;
  /** Everything that did not succeed, `shed` included. */
  errors: number;
  /** 503 answers: the service shedding load. */
  shed: number;
  signIns?: SignIns;
}

async function run(job: LoadJob): Promise<LoadResult> {
  let next = 0;
  const signIns: SignIns = { ok: 0, failed: {}, ms: [] };
  const fail = (why: string) => (signIns.failed[why] = (signIns.failed[why] ?? 0) + 1);
  const inFlight: Promise<unknown>[] = [];
  const pool = [...(job.signIns?.emails ?? [])];
  const signInTimer = job.signIns
    ? setInterval(() => {
        const email = pool.pop();
        if (!email || !job.signIns) return;
        const started = Date.now();
        const signIn = fetch(job.signIns.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            query:
              'mutation($i: CreateAccessTokenInput!) { createAccessToken(input: $i) { token } }',
            variables: { i: { email, password: job.signIns.password } },
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
      }, 1000 / job.signIns.perSecond)
    : undefined;
  // A GraphQL error comes in a 200 as well: such answers count as errors too.
  let answeredWithErrors = 0;
  const result = await autocannon({
    url: job.url,
    connections: job.connections,
    duration: job.seconds,
    timeout: job.timeout,
    requests: [
      {
        method: job.method,
        ...(job.body ? { body: job.body } : {}),
        setupRequest: (request) => ({
          ...request,
          headers: {
            ...request.headers,
            ...(job.body ? { 'content-type': 'application/json' } : {}),
            authorization: `Bearer ${job.tokens[next++ % job.tokens.length] ?? ''}`,
          },
        }),
        ...(job.graphql
          ? {
              onResponse: (status: number, body: string) => {
                if (status < 300 && body.includes('"errors"')) answeredWithErrors++;
              },
            }
          : {}),
      },
    ],
  });
  if (signInTimer) clearInterval(signInTimer);
  await Promise.all(inFlight);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    errors: result.errors + result.timeouts + result.non2xx + answeredWithErrors,
    shed: result.statusCodeStats?.['503']?.count ?? 0,
    ...(job.signIns ? { signIns } : {}),
  };
}

if (process.send) {
  process.once('message', (job: LoadJob) => {
    run(job).then(
      (result) => process.send?.(result, () => process.exit(0)),
      (error: unknown) => {
        process.stderr.write(
          `load generator failed: ${error instanceof Error ? error.message : String(error)}\n`,
        );
        process.exit(1);
      },
    );
  });
  process.send({ ready: true });
}
