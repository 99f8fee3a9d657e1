import { isTransient } from '../redis/errors.js';
import type { CanonicalEvent } from '../schemas/events.js';
import type { IndexWriter } from '../timeindex/writer.js';
import { storeUnavailable } from './errors.js';

/**
 * Stores the events of an HTTP ingest request. Redis being away is a 503 (nothing is
 * acknowledged; a retry is safe, writes are idempotent); events the store refused for
 * themselves join `rejected` at their line. Returns how many were stored.
 */
export async function storeForRequest(writer: IndexWriter, events: CanonicalEvent[], lines: number[], rejected: Array<{ line: number; reason: string }>): Promise<number> {
  if (events.length === 0) return 0;
  const out = await writer.write(events);
  if (out.failed.some((f) => isTransient(f.reason))) throw storeUnavailable();
  for (const f of out.failed) rejected.push({ line: lines[f.index], reason: f.reason });
  return out.stored;
}
