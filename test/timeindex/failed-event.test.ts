import { Redis } from 'ioredis';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { natKeys } from '../../timeindex/keys.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { defineIndexCommands } from '../../timeindex/scripts.js';
import { IndexWriter } from '../../timeindex/writer.js';
import { min, nat } from '../helpers/events.js';
import { testRedis } from '../helpers/redis.js';

let redis: Redis;
let writer: IndexWriter;

beforeAll(async () => {
  ({ redis } = await testRedis());
  defineIndexCommands(redis);
  writer = new IndexWriter(redis, new ProfileDictionary(redis));
});
beforeEach(async () => {
  await redis.flushdb();
});

const IP = '198.51.100.7';
const A = '100.64.0.1';

/** Every key of the database with its whole content, byte for byte. */
async function snapshot(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const key of (await redis.keys('*')).sort()) {
    const type = await redis.type(key);
    if (type === 'zset') out[key] = (await redis.zrangeBuffer(key, 0, -1, 'WITHSCORES')).map((b) => b.toString('hex'));
    else if (type === 'hash') out[key] = await redis.hgetall(key);
    else if (type === 'set') out[key] = (await redis.smembers(key)).sort();
    else out[key] = await redis.get(key);
  }
  return out;
}

describe('an event that fails', () => {
  it('leaves the chain byte for byte as it was when rewriting an entry would collide with another', async () => {
    expect((await writer.write([nat('alloc', 10, A)])).failed).toEqual([]);
    // A second entry of the same holder whose member is exactly what releasing the open one at
    // minute 30 would write: the merge never builds this, so the write must refuse it, not
    // half-apply it (remove the open entry, then fail to add its replacement).
    const cid = (await redis.zrange(natKeys.registry(IP), 0, -1))[0];
    const [key] = await redis.keys(`${natKeys.chainPrefix(IP, cid)}*`);
    const [member, score] = await redis.zrangeBuffer(key, 0, -1, 'WITHSCORES');
    const bucketStart = min(10) - Number(score.toString());
    const twin = Buffer.from(member);
    twin[0] = 1; // released
    twin.writeUInt32BE(min(30) - bucketStart, twin.length - 4 - 4);
    await redis.zadd(key, Number(score.toString()) - 60_000, twin);
    const before = await snapshot();

    const out = await writer.write([nat('release', 30, A)]);

    expect(await snapshot()).toEqual(before);
    expect(out.stored).toBe(0);
    expect(out.failed).toHaveLength(1);
    expect(out.failed[0]).toMatchObject({ index: 0 });
    expect(out.failed[0].reason).toMatch(/collided/);
  });
});
