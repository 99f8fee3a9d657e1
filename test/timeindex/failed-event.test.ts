import { Redis } from 'ioredis';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dumpNat } from '../../timeindex/dump.js';
import { natKeys } from '../../timeindex/keys.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { defineCommands } from '../../commands.js';
import { IndexWriter } from '../../timeindex/writer.js';
import { min, nat } from '../helpers/events.js';
import { testRedis } from '../helpers/redis.js';

let redis: Redis;
let writer: IndexWriter;

beforeAll(async () => {
  ({ redis } = await testRedis());
  defineCommands(redis);
  writer = new IndexWriter(redis, new ProfileDictionary(redis));
});
beforeEach(async () => {
  await redis.flushdb();
});

const IP = '198.51.100.7';
const A = '100.64.0.1';
const B = '100.64.0.2';

/** Every key of the database with its whole content, byte for byte. */
async function snapshot(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const key of (await redis.keys('*')).sort()) {
    const type = await redis.type(key);
    if (type === 'zset') out[key] = (await redis.zrangeBuffer(key, '0', '-1', 'WITHSCORES')).map((b) => b.toString('hex'));
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
    const cid = (await redis.zrange(natKeys.registry(IP), '0', '-1'))[0];
    const [key] = await redis.keys(`${natKeys.chainPrefix(IP, cid)}*`);
    const [member, score] = await redis.zrangeBuffer(key, '0', '-1', 'WITHSCORES');
    const bucketStart = min(10) - Number(score.toString());
    const twin = Buffer.from(member);
    twin[0] = 1; // released
    twin.writeUInt32BE(min(30) - bucketStart, 2);
    await redis.zadd(key, Number(score.toString()) - 60_000, twin);
    const before = await snapshot();

    const out = await writer.write([nat('release', 30, A)]);

    expect(await snapshot()).toEqual(before);
    expect(out.stored).toBe(0);
    expect(out.failed).toHaveLength(1);
    expect(out.failed[0]).toMatchObject({ index: 0, transient: false, code: 'holder_collision' });
    expect(out.failed[0].reason).toMatch(/^not stored: two holdings of one holder collided in a:\{198\.51\.100\.7\}:cgn1\|1024\|1535\|\*:\d+; the chain was left as it was/);
  });

  it('undoes what it wrote before the step that failed', async () => {
    expect((await writer.write([nat('alloc', 10, B)])).failed).toEqual([]);
    const cid = (await redis.zrange(natKeys.registry(IP), '0', '-1'))[0];
    const [key] = await redis.keys(`${natKeys.chainPrefix(IP, cid)}*`);
    const [member, score] = await redis.zrangeBuffer(key, '0', '-1', 'WITHSCORES');
    const bucketStart = min(10) - Number(score.toString());
    // an open entry of A (last seen at minute 20) that an allocation to A at minute 20 would
    // write again: the allocation first ends B's holding there (a write that succeeds), then
    // fails to store A's entry
    const twin = Buffer.from(member);
    twin.writeUInt32BE(min(20) - bucketStart, 2);
    twin.set([100, 64, 0, 1], 6);
    await redis.zadd(key, Number(score.toString()) - 60_000, twin);
    const before = await snapshot();

    const out = await writer.write([nat('alloc', 20, A)]);

    expect(out.failed).toMatchObject([{ index: 0, transient: false, code: 'holder_collision' }]);
    expect(await snapshot()).toEqual(before);
  });

  it('fails alone: the events after it in the same call are stored', async () => {
    expect((await writer.write([nat('alloc', 10, A)])).failed).toEqual([]);
    const cid = (await redis.zrange(natKeys.registry(IP), '0', '-1'))[0];
    const [key] = await redis.keys(`${natKeys.chainPrefix(IP, cid)}*`);
    const [member, score] = await redis.zrangeBuffer(key, '0', '-1', 'WITHSCORES');
    const twin = Buffer.from(member);
    twin[0] = 1;
    twin.writeUInt32BE(min(30) - (min(10) - Number(score.toString())), 2);
    await redis.zadd(key, Number(score.toString()) - 60_000, twin);

    const out = await writer.write([nat('release', 30, A), nat('alloc', 40, B)]);

    expect(out).toMatchObject({ stored: 1, failed: [{ index: 0, code: 'holder_collision' }] });
    const entries = (await dumpNat(redis, IP)).get(cid)!;
    expect(entries.map((e) => [e.who.join('.'), e.start, e.end, e.endBasis])).toEqual([
      [A, min(9), min(30), 'released'],
      [A, min(10), min(40), 'superseded'],
      [B, min(40), null, 'open'],
    ]);
  });
});
