import type { FastifyInstance } from 'fastify';
import { within } from '../../common/time';
import type { Database } from '../db/database';
import { knownPath, type KnownPath } from './errors';

/** How long readiness may wait for the database before saying no. */
const READY_TIMEOUT_MS = 2_000;

/**
 * For load balancers: `/healthz` says the process is alive (no database
 * involved), `/readyz` that it can reach the database right now.
 */
export function registerHealthRoutes(server: FastifyInstance, database: Database): KnownPath[] {
  server.get('/healthz', (_request, reply) =>
    reply.header('cache-control', 'no-store').send({ status: 'ok' }),
  );
  server.get('/readyz', async (_request, reply) => {
    void reply.header('cache-control', 'no-store');
    const ping = database.orm.em
      .fork()
      .execute('select 1')
      .then(() => true)
      .catch(() => false);
    const ready = await within(ping, READY_TIMEOUT_MS, false);
    if (ready) return reply.send({ status: 'ready' });
    return reply.code(503).header('retry-after', '5').send({ status: 'unavailable' });
  });
  return [knownPath('/healthz', ['GET', 'HEAD']), knownPath('/readyz', ['GET', 'HEAD'])];
}
