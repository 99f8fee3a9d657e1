import type { Cluster, Redis } from 'ioredis';
import { LAST_KEY as LAST, sourceKey, SOURCES_KEY as SOURCES } from '../../intake/source-stats.js';

/**
 * Per-source ingest state as the ingesting processes leave it in Redis (intake/source-stats.ts:
 * a set of source names, a hash of counters per source, a sorted set of last-event times). The
 * page shows what it finds and says so when nothing records it.
 */
export interface SourceState {
  source: string;
  events: number;
  rejected: number;
  skipped: number;
  dropped: number;
  lastEventMs: number | null;
}

export async function ingestState(redis: Redis | Cluster): Promise<SourceState[] | null> {
  const [names, last] = await Promise.all([redis.smembers(SOURCES), redis.zrange(LAST, '0', '-1', 'WITHSCORES')]);
  const lastOf = new Map<string, number>();
  for (let i = 0; i + 1 < last.length; i += 2) lastOf.set(last[i], Number(last[i + 1]));
  const all = [...new Set([...names, ...lastOf.keys()])].sort();
  if (all.length === 0) return null;
  const hashes = await Promise.all(all.map((s) => redis.hmget(sourceKey(s), 'events', 'rejected', 'skipped', 'dropped')));
  return all.map((source, i) => {
    const [events, rejected, skipped, dropped] = hashes[i].map((v) => Number(v ?? 0));
    return { source, events, rejected, skipped, dropped, lastEventMs: lastOf.get(source) ?? null };
  });
}
