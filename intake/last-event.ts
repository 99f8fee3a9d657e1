import type { CanonicalEvent } from '../events/schema.js';
import type { RedisClient } from '../redis/cluster.js';

/**
 * When each source last delivered, so a report can say how fresh its data was when it was made
 * (a dead collector shows as an old time, not as a silent `not_found`). Two sorted sets in one
 * slot, member = source name, written once per stored batch with `ZADD GT` so two processes of
 * one source never move a time back:
 * - `{whohad}:ingest:last`: wall-clock ms at which Redis last took an event of the source;
 * - `{whohad}:ingest:last-event-at`: the latest event time (the device's clock) stored for it.
 */
export const LAST_INGESTED_KEY = '{whohad}:ingest:last';
export const LAST_EVENT_AT_KEY = '{whohad}:ingest:last-event-at';

export interface SourceFreshness {
  source: string;
  /** When Redis last took one of its events (ISO 8601 UTC). */
  lastIngestedAt: string;
  /** The latest event time stored for it, or null if not recorded. */
  lastEventAt: string | null;
}

/** Records the stored events' sources; one MULTI for the whole batch. */
export async function recordLastEvents(redis: RedisClient, events: readonly CanonicalEvent[], now: number = Date.now()): Promise<void> {
  if (events.length === 0) return;
  const latest = new Map<string, number>();
  for (const e of events) latest.set(e.source, Math.max(latest.get(e.source) ?? -Infinity, e.at));
  const m = redis.multi();
  for (const [source, at] of latest) {
    m.zadd(LAST_INGESTED_KEY, 'GT', String(now), source);
    m.zadd(LAST_EVENT_AT_KEY, 'GT', String(at), source);
  }
  await m.exec();
}

/** Every source's freshness, by name. */
export async function readLastEvents(redis: RedisClient): Promise<SourceFreshness[]> {
  const [ingested, eventAt] = await Promise.all([
    redis.zrange(LAST_INGESTED_KEY, '0', '-1', 'WITHSCORES'),
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
