import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../commands.js';
import { LAST_EVENT_AT_KEY, LAST_INGESTED_KEY, readLastEvents } from '../../intake/last-event.js';
import { SourceStats } from '../../intake/source-stats.js';
import { storeEvents } from '../../intake/store-queue.js';
import { closeClient } from '../../redis/client.js';
import type { RedisClient } from '../../redis/cluster.js';
import { IndexWriter } from '../../timeindex/writer.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { wholeKeyspace } from '../helpers/cluster.js';
import { lease, min, nat } from '../helpers/events.js';
import { testRedisUrl } from '../helpers/redis.js';

/** The store queue's per-source counts note when each source last delivered: a report's data-freshness section. */
let redis: RedisClient;
let writer: IndexWriter;
beforeAll(async () => {
  redis = wholeKeyspace(connectRedis(await testRedisUrl()));
  writer = new IndexWriter(redis, new ProfileDictionary(redis), { days: 365, now: () => min(0) });
});
afterAll(() => closeClient(redis));

const write = (e: Parameters<IndexWriter['write']>[0]) => writer.write(e);
/** Stores with the counts attached, and waits for them to be written (the queue does not wait). */
async function counted(events: Parameters<IndexWriter['write']>[0], hooks: { onRefused?: () => void } = {}) {
  const stats = new SourceStats(redis, 'test');
  const out = await storeEvents(write, events, null, { stats, ...hooks });
  await stats.flush();
  return out;
}

describe('each source\'s last event', () => {
  it('is noted once per stored batch: when Redis took it, and the latest event time of the source', async () => {
    const events = [nat('alloc', 0, '100.64.0.1'), lease('start', 5, '100.64.0.1', 'sub-A', 600, { source: 'kea-lease4' }), nat('interim', 30, '100.64.0.1')];
    const before = Date.now();
    await counted(events);
    const got = await readLastEvents(redis);
    expect(got.map((s) => [s.source, s.lastEventAt])).toEqual([
      ['canonical', new Date(min(30)).toISOString()],
      ['kea-lease4', new Date(min(5)).toISOString()],
    ]);
    for (const s of got) expect(Date.parse(s.lastIngestedAt)).toBeGreaterThanOrEqual(before);
  });

  it('never moves back: an older batch stored later leaves the latest event time as it was', async () => {
    await counted([nat('alloc', 1, '100.64.0.9', { portStart: 2048, portEnd: 2559 })]);
    const canonical = (await readLastEvents(redis)).find((s) => s.source === 'canonical')!;
    expect(canonical.lastEventAt).toBe(new Date(min(30)).toISOString());
  });

  it('notes only what was stored: an event the store refused counts for nothing', async () => {
    const old = nat('alloc', -400 * 24 * 60, '100.64.0.2', { source: 'juniper-pba' });
    const out = await counted([old], { onRefused: () => undefined });
    expect(out.left).toEqual([]);
    expect((await readLastEvents(redis)).map((s) => s.source)).not.toContain('juniper-pba');
  });

  it('is not noted by a store without counts (callers that do not count)', async () => {
    await storeEvents(write, [nat('alloc', 40, '100.64.0.3', { source: 'cisco-asr', portStart: 4096, portEnd: 4607 })], null);
    expect(await redis.zscore(LAST_INGESTED_KEY, 'cisco-asr')).toBeNull();
    expect(await redis.zscore(LAST_EVENT_AT_KEY, 'cisco-asr')).toBeNull();
  });
});
