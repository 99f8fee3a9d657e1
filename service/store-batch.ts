import { DomainError } from '../core/domain-error.js';
import type { CanonicalEvent } from '../events/schema.js';
import { storeEvents } from '../intake/store-queue.js';
import type { IndexWriter } from '../timeindex/writer.js';
import type { Ingest } from '../timeindex/profiles.js';
import type { SourceStats } from '../intake/source-stats.js';

/**
 * Stores the events of an HTTP ingest request, once: the client is the one to retry. Redis
 * being away is a 503 (nothing is acknowledged; a retry is safe, writes are idempotent); events
 * the store refused for themselves join `rejected` at their line. Returns how many were stored.
 */
export async function storeForRequest(
  writer: IndexWriter,
  events: CanonicalEvent[],
  lines: number[],
  rejected: Array<{ line: number; reason: string }>,
  stats?: SourceStats,
  /** The request's token, kept with every record it makes. */
  ingest: Ingest | null = null,
): Promise<number> {
  if (events.length === 0) return 0;
  let stored = 0;
  const refused: Array<{ line: number; reason: string }> = [];
  const out = await storeEvents((e) => writer.write(e, ingest), events, null, {
    stats,
    onStored: (positions) => (stored += positions.length),
    onRefused: (position, f) => refused.push({ line: lines[position], reason: f.reason }),
  });
  if (out.left.length > 0) {
    throw new DomainError('store_unavailable', 'the attribution store (Redis) did not take the events; retry the same request (writes are idempotent)');
  }
  rejected.push(...refused);
  return stored;
}
