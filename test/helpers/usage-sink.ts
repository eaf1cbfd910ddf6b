import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { Report } from '@apollo/usage-reporting-protobuf';

export type DecodedReport = ReturnType<typeof Report.decode>;

/**
 * A stand-in for Apollo's usage-reporting ingress, a real HTTP server: each
 * POST to /api/ingress/traces is a gzipped protobuf `Report`, decoded with
 * the plugin's own types.
 */
export interface UsageSink {
  url: string;
  reports: DecodedReport[];
  /** Paths of every request received. */
  paths: string[];
  close(): Promise<void>;
}

export async function startUsageSink(): Promise<UsageSink> {
  const reports: DecodedReport[] = [];
  const paths: string[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      paths.push(request.url ?? '');
      const body = Buffer.concat(chunks);
      const raw = request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
      reports.push(Report.decode(raw));
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    reports,
    paths,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Per operation (the report's key, `# Name\n<signature>`): what the reports say of it. */
export interface OperationUsage {
  /** Requests counted, traced or not. */
  requests: number;
  /** Field paths seen in traces (`viewer.user.name`) and in per-type stats (`User.name`). */
  fields: Set<string>;
}

interface TraceNode {
  responseName?: string | null;
  parentType?: string | null;
  child?: TraceNode[] | null;
}

export function usageByOperation(reports: DecodedReport[]): Map<string, OperationUsage> {
  const out = new Map<string, OperationUsage>();
  for (const report of reports) {
    for (const [key, entry] of Object.entries(report.tracesPerQuery)) {
      const usage = out.get(key) ?? { requests: 0, fields: new Set<string>() };
      out.set(key, usage);
      const walk = (node: TraceNode | null | undefined, prefix: string) => {
        for (const child of node?.child ?? []) {
          const name = child.responseName ? `${prefix}${child.responseName}` : prefix;
          if (child.responseName) usage.fields.add(name);
          walk(child, child.responseName ? `${name}.` : prefix);
        }
      };
      for (const trace of entry.trace ?? []) {
        usage.requests++;
        walk((trace as { root?: TraceNode | null }).root, '');
      }
      const contextual = (entry.statsWithContext ?? []) as {
        queryLatencyStats?: { requestCount?: number | null } | null;
        perTypeStat?: Record<string, { perFieldStat?: Record<string, unknown> | null }> | null;
      }[];
      for (const stats of contextual) {
        usage.requests += Number(stats.queryLatencyStats?.requestCount ?? 0);
        for (const [type, typeStat] of Object.entries(stats.perTypeStat ?? {})) {
          for (const field of Object.keys(typeStat.perFieldStat ?? {})) {
            usage.fields.add(`${type}.${field}`);
          }
        }
      }
    }
  }
  return out;
}
