import { Redis } from 'ioredis';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dumpLeases, dumpNat } from '../../timeindex/dump.js';
import { BUCKET_MS } from '../../timeindex/format.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { haveExpiredBuckets, noCounts, purgeAddress, purgeHorizon, type PurgeRun } from '../../timeindex/purge.js';
import { defineCommands } from '../../commands.js';
import { IndexWriter } from '../../timeindex/writer.js';
import { lease, nat } from '../helpers/events.js';
import { testRedis } from '../helpers/redis.js';

let redis: Redis;
let writer: IndexWriter;

beforeAll(async () => {
  ({ redis } = await testRedis());
  defineCommands(redis);
  writer = new IndexWriter(redis, new ProfileDictionary(redis), { days: 100_000, now: Date.now });
});
beforeEach(async () => {
  await redis.flushdb();
});

const DAY = 86_400_000;
const MIN = 60_000;
// three buckets after the events of test/helpers/events.ts: their buckets lie wholly before it
const run = (dryRun: boolean): PurgeRun => ({ endedBefore: nat('alloc', 0, '').at + 3 * BUCKET_MS, margin: 2 * 3_600_000, dryRun });

describe('purging an address', () => {
  it('removes the entries that ended before the horizon from a lease chain, and counts them first in a dry run', async () => {
    await writer.write([lease('start', 0, '100.64.0.1', 'sub-A', 60), lease('end', 30, '100.64.0.1', 'sub-A')]);
    expect(await haveExpiredBuckets(redis, 'lease', ['default|100.64.0.1'], run(true).endedBefore)).toEqual([true]);

    const dry = noCounts();
    await purgeAddress(redis, 'lease', 'default|100.64.0.1', run(true), { ranges: [], holders: [] }, dry);
    expect(dry).toEqual({ chains: 1, buckets: 1, records: 1, keysDeleted: 1, keptByHold: 0, keptLive: 0 });
    expect(await dumpLeases(redis, 'default', '100.64.0.1')).toHaveLength(1);

    const done = noCounts();
    await purgeAddress(redis, 'lease', 'default|100.64.0.1', run(false), { ranges: [], holders: [] }, done);
    expect(done).toEqual(dry);
    expect(await dumpLeases(redis, 'default', '100.64.0.1')).toEqual([]);
  });

  it('keeps what the caller keeps and what still counts on a public address', async () => {
    const released = nat('release', 30, '100.64.0.1');
    await writer.write([nat('alloc', 0, '100.64.0.1'), released, nat('alloc', 0, '100.64.0.2', { portStart: 2048, portEnd: 2559 })]);
    const counts = noCounts();
    await purgeAddress(redis, 'nat', '198.51.100.7', run(false), { ranges: [[released.at - MIN, released.at]], holders: [] }, counts);
    expect(counts).toMatchObject({ chains: 2, records: 0, keptByHold: 1, keptLive: 1 });
    expect([...(await dumpNat(redis, '198.51.100.7')).values()].flat()).toHaveLength(2);
  });

  it('reads only buckets wholly before the horizon', () => {
    const { lastBucket, bucketsBefore } = purgeHorizon(10 * BUCKET_MS + DAY);
    expect([lastBucket, bucketsBefore]).toEqual([9, 10 * BUCKET_MS]);
  });
});
