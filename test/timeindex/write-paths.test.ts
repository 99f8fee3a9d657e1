import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalEvent, LeaseEvent, NatEvent } from '../../events/schema.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { IndexWriter } from '../../timeindex/writer.js';
import { DEFAULT_SHAPE, leaseEvents, natEvents, rng } from '../../loadtest/synthetic-isp.js';
import { onCluster, testRedis } from '../helpers/redis.js';

/**
 * The batch write path (many addresses a call, packed arguments, the raw fast path) must store
 * exactly the bytes the per-address path stores, which the property tests of merge.test.ts pin
 * down: a generated day written both ways, every key compared byte for byte.
 */

const SHAPE = { ...DEFAULT_SHAPE, publicIps: 12, blocksPerIp: 6, days: 2, privateIps: 80, meanHoldHours: 3 };
const NOW = SHAPE.start + 3 * 86_400_000;

/** The day: allocations and releases (some lost), interims with and without their allocation time, leases renewed, ended (or the end lost), expired, stopped, delegated prefixes. */
function day(seed: number): CanonicalEvent[] {
  const r = rng(seed);
  const out: CanonicalEvent[] = [];
  for (const e of natEvents({ ...SHAPE, seed })) {
    out.push(e);
    if (e.event === 'alloc' && r() < 0.3) {
      const later = e.at + 60_000 + Math.floor(r() * 3_600_000);
      out.push({ ...e, event: 'interim', at: later, allocatedAt: r() < 0.5 ? e.at : null } satisfies NatEvent);
    }
    // a block with a second NAT instance and a port-less one share the address
    if (r() < 0.05) out.push({ ...e, natInstance: 'cgn2', portStart: null, portEnd: null });
  }
  for (const e of leaseEvents({ ...SHAPE, seed }, 5)) {
    const x = r();
    // some ends are lost: the holding keeps its scheduled expiry
    if (e.event === 'end' && x < 0.1) continue;
    if (e.event === 'end' && x < 0.25) out.push({ ...e, event: 'expire' });
    else if (e.event === 'end' && x < 0.4) out.push({ ...e, source: 'radius-acct' });
    else out.push(e);
    if (e.event === 'start' && x < 0.03) {
      const v6: LeaseEvent = { ...e, ip: '2001:db8:1200::', identifiers: { prefix: '2001:db8:1200::/56' }, subscriberId: `${e.subscriberId}-6` };
      out.push(v6);
    }
  }
  return out;
}

function shuffled<T>(xs: T[], r: () => number, duplicates: number): T[] {
  const all = [...xs];
  for (let i = 0; i < duplicates; i++) all.push(xs[Math.floor(r() * xs.length)]);
  return all.map((x) => ({ x, k: r() })).sort((a, b) => a.k - b.k).map((p) => p.x);
}

async function store(redis: Redis, events: CanonicalEvent[], perAddress: boolean, seed: number): Promise<unknown[]> {
  await redis.flushdb();
  const writer = new IndexWriter(redis, new ProfileDictionary(redis), { days: 365, now: () => NOW }, { perAddress });
  const r = rng(seed);
  const failures: unknown[] = [];
  for (let i = 0; i < events.length; ) {
    const size = 1 + Math.floor(r() * 700);
    const out = await writer.write(events.slice(i, i + size));
    for (const f of out.failed) failures.push({ at: i + f.index, code: f.code });
    i += size;
  }
  return failures;
}

/** Every key with its exact bytes: members as hex, scores, hash fields, set members. */
async function dump(redis: Redis): Promise<Record<string, unknown>> {
  const d: Record<string, unknown> = {};
  for (const key of (await redis.keys('*')).sort()) {
    const type = await redis.type(key);
    if (type === 'zset') {
      const z = await redis.zrangeBuffer(key, '0', '-1', 'WITHSCORES');
      d[key] = z.map((b, i) => (i % 2 === 0 ? b.toString('hex') : b.toString()));
    } else if (type === 'hash') d[key] = Object.entries(await redis.hgetall(key)).sort();
    else if (type === 'set') d[key] = (await redis.smembers(key)).sort();
    else d[key] = await redis.get(key);
  }
  return d;
}

describe.skipIf(onCluster)('the batch write path against the per-address path', () => {
  let perAddress: Redis;
  let batch: Redis;
  beforeAll(async () => {
    ({ redis: perAddress } = await testRedis());
    ({ redis: batch } = await testRedis());
  });

  for (const [name, order] of [
    ['in order', (xs: CanonicalEvent[]) => xs],
    ['shuffled with duplicates', (xs: CanonicalEvent[]) => shuffled(xs, rng(99), Math.floor(xs.length / 8))],
  ] as const) {
    it(`stores a generated day ${name} byte for byte as the per-address path does`, async () => {
      for (const seed of [1, 2, 3]) {
        const events = order(day(seed));
        const failedOld = await store(perAddress, events, true, seed);
        const failedNew = await store(batch, events, false, seed);
        const before = await dump(perAddress);
        const after = await dump(batch);
        expect(Object.keys(before).length).toBeGreaterThan(100);
        expect(failedNew).toEqual(failedOld);
        expect(after).toEqual(before);
      }
    });
  }
});
