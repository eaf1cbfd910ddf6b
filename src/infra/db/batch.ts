import DataLoader from 'dataloader';

/** Most keys one call of a batch function receives. */
const MAX_BATCH = 100;

/**
 * A DataLoader shared by the process that batches across requests: every key
 * asked for in one turn of the event loop goes to one call of `load` (run
 * from `setImmediate`), and nothing is cached, so each request reads at its
 * own moment. Under load several requests reach the same read in one turn;
 * on this kind of machine the socket write to PostgreSQL costs more than a
 * small query, so one round trip for all of them is the saving. `load` must
 * answer in the order of the keys it is given (duplicates included).
 */
export function batchAcrossRequests<K, V>(
  load: (keys: readonly K[]) => Promise<(V | Error)[]>,
): DataLoader<K, V> {
  return new DataLoader(load, {
    cache: false,
    maxBatchSize: MAX_BATCH,
    batchScheduleFn: (run) => setImmediate(run),
  });
}
