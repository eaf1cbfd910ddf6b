import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InMemoryLRUCache, type KeyValueCache } from '@apollo/utils.keyvaluecache';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { TrustedDocumentErrors } from '../common/errors';

/** Most operations a manifest may list, and the longest id and body. */
const MAX_OPERATIONS = 10_000;
const MAX_ID_LENGTH = 256;
const MAX_BODY_LENGTH = 64 * 1024;

/**
 * Apollo's persisted query manifest, as `@apollo/generate-persisted-query-manifest`
 * writes it. Ids are sha256(body) by default but may be the client's own
 * (`createOperationId`), so an id is never assumed to be the body's hash.
 */
const manifestSchema = z.object({
  format: z.literal('apollo-persisted-query-manifest'),
  version: z.literal(1),
  operations: z
    .array(
      z.object({
        id: z.string().min(1).max(MAX_ID_LENGTH),
        name: z.string().max(MAX_ID_LENGTH).optional(),
        type: z.enum(['query', 'mutation', 'subscription']).optional(),
        body: z.string().min(1).max(MAX_BODY_LENGTH),
      }),
    )
    .max(MAX_OPERATIONS),
});

export type PersistedQueryManifest = z.infer<typeof manifestSchema>;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Without a safelist, automatic persisted queries (APQ) stay on, in a cache
 * of their own with an explicit bound instead of Apollo's server-wide one
 * (30 MiB, shared): 4 Mi characters of registered documents, least recently
 * used out first, each kept a day at most. Apollo registers a document only
 * once it parsed and validated, and each is at most the body limit.
 */
export const APQ_CACHE_MAX_SIZE = 4 * 2 ** 20;
export const APQ_TTL_SECONDS = 24 * 60 * 60;

export function boundedApqCache(maxSize = APQ_CACHE_MAX_SIZE): KeyValueCache<string> {
  return new InMemoryLRUCache<string>({ maxSize });
}

/**
 * The safelist of trusted documents (PERSISTED_QUERIES=safelist): only the
 * manifest's operations run, named by `extensions.persistedQuery.sha256Hash`
 * (Apollo Client's persisted-queries link) or sent as their full text, byte
 * for byte. Everything else is refused with PERSISTED_QUERY_NOT_IN_LIST
 * before Apollo sees the request (`preHandler`), so before any GraphQL
 * parsing. Apollo's APQ cache is replaced by the manifest (`apqCache`), read
 * only: hash-only requests find their text there, and nothing registers.
 * The REST face's own documents never pass here: they are compiled at start
 * and executed in-process (src/rest/executor.ts).
 */
export class TrustedDocuments {
  /** Manifest id → body. */
  private readonly byId = new Map<string, string>();
  /** sha256 of every body, for requests that send the full text. */
  private readonly bodyHashes = new Set<string>();

  constructor(manifest: PersistedQueryManifest) {
    for (const operation of manifest.operations) {
      this.byId.set(operation.id, operation.body);
      this.bodyHashes.add(sha256(operation.body));
    }
  }

  /** Reads and checks the manifest file; throws a one-line reason (never its content). */
  static fromFile(file: string): TrustedDocuments {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      const reason = error instanceof SyntaxError ? 'is not JSON' : 'cannot be read';
      throw new Error(`PERSISTED_QUERIES_MANIFEST ${reason}: ${file}`);
    }
    const parsed = manifestSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(
        `PERSISTED_QUERIES_MANIFEST is not an apollo-persisted-query-manifest, version 1` +
          ` (${issue?.path.length ? issue.path.join('.') : 'top level'}: ${issue?.message ?? 'invalid'}): ${file}`,
      );
    }
    return new TrustedDocuments(parsed.data);
  }

  get size(): number {
    return this.byId.size;
  }

  /** Whether a request's `query` and `extensions` name a trusted document. No GraphQL parsing. */
  allows(query: unknown, extensions: unknown): boolean {
    const persisted = isObject(extensions) ? extensions['persistedQuery'] : undefined;
    const hash = isObject(persisted) ? persisted['sha256Hash'] : undefined;
    if (persisted !== undefined) {
      if (typeof hash !== 'string') return false;
      const body = this.byId.get(hash);
      // A listed id; with a text, that text must be the listed body.
      return body !== undefined && (query === undefined || query === body);
    }
    return typeof query === 'string' && this.bodyHashes.has(sha256(query));
  }

  /**
   * Apollo's `persistedQueries.cache`: the manifest, read only. Apollo
   * prefixes every key with `apq:`.
   */
  apqCache(): KeyValueCache<string> {
    const byId = this.byId;
    return {
      get: (key) => Promise.resolve(byId.get(key.startsWith('apq:') ? key.slice(4) : key)),
      set: () => Promise.resolve(),
      delete: () => Promise.resolve(false),
    };
  }

  /** The Fastify preHandler of the /graphql route. */
  preHandler() {
    return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      if (request.method === 'OPTIONS') return;
      let query: unknown;
      let extensions: unknown;
      if (request.method === 'GET') {
        const params = isObject(request.query) ? request.query : {};
        query = params['query'];
        const raw = params['extensions'];
        // The landing page (a GET with neither) runs no operation.
        if (query === undefined && raw === undefined) return;
        try {
          extensions = typeof raw === 'string' ? JSON.parse(raw) : raw;
        } catch {
          extensions = { persistedQuery: null };
        }
      } else {
        const body: unknown = request.body;
        // Batches are off (Apollo refuses them); a batch is no trusted document either.
        if (isObject(body) && !Array.isArray(body)) {
          query = body['query'];
          extensions = body['extensions'];
        }
      }
      if (this.allows(query, extensions)) return;
      const { code, message, status } = TrustedDocumentErrors.notInList();
      await reply
        .code(status)
        .header('cache-control', 'no-store')
        .header('content-type', 'application/json; charset=utf-8')
        .send(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
    };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
