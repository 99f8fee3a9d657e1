import { once } from 'node:events';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REASONS, readSourceStats, reasonLabel, SourceStats, sourceKey } from '../../intake/source-stats.js';
import { storeEvents } from '../../intake/store-queue.js';
import type { IndexWriter } from '../../timeindex/writer.js';
import type { FaultyRedis } from '../faults/helpers.js';
import { startOwnStore, stopOwnStore, type OwnStore } from '../helpers/own-store.js';
import { lease, min, nat } from '../helpers/events.js';

// a redis-server of this file's own: one test stops it and starts it again
let own: OwnStore;
let server: FaultyRedis;
let redis: Redis;
let writer: IndexWriter;
beforeAll(async () => {
  own = await startOwnStore();
  ({ server, redis, writer } = own);
});
afterAll(() => stopOwnStore(own));

const multis = async () => Number(/cmdstat_multi:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);

describe('per-source counts in Redis', () => {
  it('the store queue counts stored events and store refusals by reason, per source, in one transaction per batch', async () => {
    const stats = new SourceStats(redis, 'test@host:1');
    const events = [
      nat('alloc', 0, '100.64.1.1', { publicIp: '198.51.100.31' }),
      nat('alloc', 1, '100.64.1.2', { publicIp: '198.51.100.31', portStart: 2048, portEnd: 3071 }),
      lease('start', -800 * 24 * 60, '100.64.1.1', 'sub-old'),
    ];
    const before = await multis();
    await storeEvents((e) => writer.write(e), events, null, { stats, sourceOf: (i) => (i < 2 ? 'cgn-a' : 'dhcp-b') });
    await stats.flush();
    expect((await multis()) - before).toBe(1);
    const { sources } = await readSourceStats(redis);
    const a = sources.find((s) => s.source === 'cgn-a')!;
    const b = sources.find((s) => s.source === 'dhcp-b')!;
    expect(a.counters).toMatchObject({ events: 2, rejected: 0 });
    expect(a.lastEventMs).toBeGreaterThan(Date.now() - 60_000);
    expect(b.counters).toMatchObject({ events: 0, rejected: 1 });
    expect(b.reasons).toEqual([{ kind: 'rejected', reason: 'store_older_than_retention', count: 1 }]);
    expect(b.lastEventMs).toBeNull();
  });

  it('without a source given, counts under the event\'s own source (its format)', async () => {
    const stats = new SourceStats(redis, 'test@host:2');
    await storeEvents((e) => writer.write(e), [nat('alloc', 5, '100.64.1.9', { publicIp: '198.51.100.32', source: 'a10' })], null, { stats });
    await stats.flush();
    expect(await redis.hget(sourceKey('a10'), 'events')).toBe('1');
  });

  it('counts made while Redis is down are written once it is back, none lost and none twice', async () => {
    const stats = new SourceStats(redis, 'test@host:3');
    await server.kill();
    stats.count('outage', 'received', 5);
    stats.reason('outage', 'rejected', 'bad port "x" on line 3');
    stats.stored('outage', 4);
    await stats.flush();
    expect(stats.failures).toBe(1);
    await server.restart();
    if (redis.status !== 'ready') await once(redis, 'ready');
    stats.count('outage', 'received', 1);
    await stats.flush();
    expect(stats.failures).toBe(0);
    await stats.flush();
    expect(await redis.hgetall(sourceKey('outage'))).toEqual({ received: '6', rejected: '1', 'rejected:bad_port': '1', events: '4' });
  });

  it('a reject or skip without a reason shows as unclassified, so the breakdown adds up to the total', async () => {
    const stats = new SourceStats(redis, 'test@host:4');
    stats.reason('mixed', 'skipped', 'pool alarm, not an allocation');
    stats.count('mixed', 'skipped', 3);
    stats.mirror({ mixed: { received: 10, rejected: 2, skipped: 4, dropped: 0 } });
    await stats.flush();
    const m = (await readSourceStats(redis)).sources.find((s) => s.source === 'mixed')!;
    expect(m.counters).toMatchObject({ received: 10, rejected: 2, skipped: 4 });
    expect(m.reasons).toEqual(
      expect.arrayContaining([
        { kind: 'skipped', reason: 'pool_alarm', count: 1 },
        { kind: 'skipped', reason: 'unclassified', count: 3 },
        { kind: 'rejected', reason: 'unclassified', count: 2 },
      ]),
    );
  });
});

describe('reason labels', () => {
  it('keep the words before the detail, so values never become labels', () => {
    expect(reasonLabel('bad port "70000": must be 0-65535')).toBe('bad_port');
    expect(reasonLabel('bad port "x" at 9')).toBe('bad_port');
    expect(reasonLabel('store older_than_retention')).toBe('store_older_than_retention');
    expect(reasonLabel('line is 70000 long, over the limit of 65536')).toBe('line_is');
    expect(reasonLabel('')).toBe('unspecified');
    expect(reasonLabel('1234')).toBe('unspecified');
    expect(reasonLabel('x'.repeat(200))).toHaveLength(48);
  });

  it(`are at most ${MAX_REASONS} per source; later ones count as other`, async () => {
    const stats = new SourceStats(redis, 'test@host:5');
    for (let i = 0; i < MAX_REASONS + 5; i++) stats.reason('noisy', 'rejected', `reason ${String.fromCharCode(97 + (i % 26), 97 + Math.floor(i / 26))} went wrong`);
    await stats.flush();
    const fields = Object.keys(await redis.hgetall(sourceKey('noisy'))).filter((f) => f.startsWith('rejected:'));
    expect(fields).toHaveLength(MAX_REASONS + 1);
    expect(await redis.hget(sourceKey('noisy'), 'rejected:other')).toBe('5');
    expect(await redis.hget(sourceKey('noisy'), 'rejected')).toBe(String(MAX_REASONS + 5));
  });
});
