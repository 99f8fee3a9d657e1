import type { RedisClient } from '../redis/cluster.js';
import { LAST_EVENT_AT_KEY, LAST_KEY } from './source-stats.js';

/**
 * When each source last delivered, so a report can say how fresh its data was when it was made
 * (a dead collector shows as an old time, not as a silent `not_found`). The per-source counts
 * write it (intake/source-stats.ts, once per stored batch, with `ZADD GT` so two processes of one
 * source never move a time back); this reads it.
 */
export { LAST_EVENT_AT_KEY, LAST_KEY as LAST_INGESTED_KEY };

export interface SourceFreshness {
  source: string;
  /** When Redis last took one of its events (ISO 8601 UTC). */
  lastIngestedAt: string;
  /** The latest event time stored for it, or null if not recorded. */
  lastEventAt: string | null;
}

/** Every source's freshness, by name. */
export async function readLastEvents(redis: RedisClient): Promise<SourceFreshness[]> {
  const [ingested, eventAt] = await Promise.all([
    redis.zrange(LAST_KEY, '0', '-1', 'WITHSCORES'),
    redis.zrange(LAST_EVENT_AT_KEY, '0', '-1', 'WITHSCORES'),
  ]);
  const at = new Map<string, number>();
  for (let i = 0; i < eventAt.length; i += 2) at.set(eventAt[i], Number(eventAt[i + 1]));
  const out: SourceFreshness[] = [];
  for (let i = 0; i < ingested.length; i += 2) {
    const source = ingested[i];
    const e = at.get(source);
    out.push({ source, lastIngestedAt: new Date(Number(ingested[i + 1])).toISOString(), lastEventAt: e === undefined ? null : new Date(e).toISOString() });
  }
  return out.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
}
