import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NatEvent } from '../../events/schema.js';
import { BUCKET_MS, bucketOf, EndBasisCode } from '../../timeindex/format.js';
import { chainId, natKeys } from '../../timeindex/keys.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { IndexWriter } from '../../timeindex/writer.js';
import { onCluster, testRedis } from '../helpers/redis.js';

/**
 * The raw fast path learns that a member it writes is taken from the write itself (ZADD NX) and
 * takes back what it wrote before that: an event whose new member collides with one already
 * stored must leave exactly what the per-address path (fast.lua and the general merge) leaves.
 * The colliding members are placed by hand, earlier in the chain than its latest entry, where
 * the raw path's checks of the latest entry do not see them.
 */

const T0 = Date.UTC(2026, 9, 25, 8);
const IP = '198.51.100.7';
const BASE = { kind: 'nat', natInstance: 'cgn1', publicIp: IP, portStart: 1024, portEnd: 2047, privateVrf: 'default', protocol: null, allocatedAt: null, source: 'rt' } as const;
const X = '100.64.0.1';
const Y = '100.64.0.2';
const T1 = T0 + 3_600_000;
const T2 = T0 + 7_200_000;
const ev = (event: NatEvent['event'], at: number, privateIp: string): NatEvent => ({ ...BASE, event, at, privateIp });

const key = natKeys.chainPrefix(IP, chainId('cgn1', 1024, 2047, null)) + bucketOf(T0);
const rel = (t: number) => t - bucketOf(T0) * BUCKET_MS;
const ipBytes = (ip: string) => Buffer.from(ip.split('.').map(Number));

/** A member as the format lays it out: flags, a one-byte profile id, u32 time in the bucket, holder. */
function member(flags: number, profile: number, t: number, who: string): Buffer {
  const b = Buffer.alloc(6);
  b[0] = flags;
  b[1] = profile;
  b.writeUInt32BE(rel(t), 2);
  return Buffer.concat([b, ipBytes(who)]);
}

const writerOf = (redis: Redis, perAddress: boolean) => new IndexWriter(redis, new ProfileDictionary(redis), { days: 36_500, now: Date.now }, { perAddress });

/** X held the block, then Y from T1 (open); then `planted` is placed before both, and `last` written. */
async function scene(redis: Redis, perAddress: boolean, planted: (profile: number) => Buffer, last: NatEvent) {
  await redis.flushdb();
  const w = writerOf(redis, perAddress);
  expect((await w.write([ev('alloc', T0, X), ev('alloc', T1, Y)])).failed).toEqual([]);
  const [first] = await redis.zrangeBuffer(key, '0', '0');
  await redis.zadd(key, String(rel(T0) - 60_000), planted(first[1]));
  const out = await w.write([last]);
  const z = await redis.zrangeBuffer(key, '0', '-1', 'WITHSCORES');
  return { failed: out.failed.map((f) => f.code), members: z.map((b, i) => (i % 2 === 0 ? b.toString('hex') : b.toString())) };
}

// the raw fast path is the batch scripts', which run on a single Redis only (a Cluster writes per address)
describe.skipIf(onCluster)('a collision on the raw fast path', () => {
  let redis: Redis;
  beforeAll(async () => {
    ({ redis } = await testRedis());
  });

  for (const [name, planted, last] of [
    // the superseded Y member can be written, the new X member cannot: the first write is taken back
    ['an allocation whose new member is taken', (p: number) => member(EndBasisCode.Open, p, T2, X), ev('alloc', T2, X)],
    ['an allocation whose superseded member is taken', (p: number) => member(EndBasisCode.Superseded, p, T2, Y), ev('alloc', T2, X)],
    ['a release whose released member is taken', (p: number) => member(EndBasisCode.Released, p, T2, Y), ev('release', T2, Y)],
    ['an interim whose member is taken', (p: number) => member(EndBasisCode.Open, p, T2, Y), ev('interim', T2, Y)],
  ] as const) {
    it(`leaves ${name} as the per-address path does`, async () => {
      const old = await scene(redis, true, planted, last);
      const batch = await scene(redis, false, planted, last);
      expect(batch).toEqual(old);
      // the planted member stays once, whatever the merge made of the event
      const plantedHex = planted(Buffer.from(old.members[0], 'hex')[1]).toString('hex');
      expect(batch.members.filter((m) => m === plantedHex)).toHaveLength(1);
    });
  }
});
