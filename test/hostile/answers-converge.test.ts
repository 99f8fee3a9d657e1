import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import type { QueryInput as Query } from '../../resolver/query.js';
import { Resolver } from '../../resolver/resolve.js';
import { asking } from '../helpers/query.js';
import type { CanonicalEvent } from '../../events/schema.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { IndexReader } from '../../timeindex/reader.js';
import { IndexWriter } from '../../timeindex/writer.js';
import { lease, min, nat } from '../helpers/events.js';
import { testRedis } from '../helpers/redis.js';

/**
 * The "same answers" side of order independence (the stored-state side is in
 * test/timeindex/merge.test.ts): a small but realistic night of one ISP, written in any
 * order, with duplicates, in batches of any size, answers a fixed grid of questions exactly
 * as when written in time order.
 *
 * 198.51.100.7 (cgn1) 1024-1535: 100.64.0.1 from 0 to 60 (released, restated at 30), then
 *   100.64.0.2 from 60, open, restated at 120 (the handover in one second).
 * 198.51.100.7 (cgn1) 1536-2047: 100.64.0.3 from 0, release lost; 100.64.0.4 from 90 to 150.
 * 198.51.100.9 (cgn2) 1024-1535 TCP: 100.64.1.1 from 10 to 100; UDP: 100.64.1.2 from 20 to 80.
 * 203.0.113.5 (cgn3) address-only NAT: 100.64.2.1 from 0 to 120.
 * 2001:db8::5 (cgn6) 1024-2047: fd00::1 from 30, open.
 * Leases: 100.64.0.1 sub-A; 100.64.0.2 sub-B until 90, then sub-C (the address reused);
 * 100.64.0.3 sub-D ended at 100; 100.64.0.4 sub-E expired at 200; 100.64.1.1 RADIUS sub-F
 * stopped at 95; 100.64.1.2 sub-G; 100.64.2.1 sub-H; fd00::1 sub-V6; 198.51.100.8 (a public
 * address, no NAT) sub-I. Minutes from 2026-10-25T00:00Z.
 */

const P7 = '198.51.100.7';
const P9 = '198.51.100.9';
const block = (publicIp: string, natInstance: string, portStart: number | null, portEnd: number | null, protocol: number | null = null) => ({ publicIp, natInstance, portStart, portEnd, protocol });
const A7 = block(P7, 'cgn1', 1024, 1535);
const B7 = block(P7, 'cgn1', 1536, 2047);
const T9 = block(P9, 'cgn2', 1024, 1535, 6);
const U9 = block(P9, 'cgn2', 1024, 1535, 17);
const ADDR = block('203.0.113.5', 'cgn3', null, null);
const V6 = block('2001:db8::5', 'cgn6', 1024, 2047);

const SCENARIO: CanonicalEvent[] = [
  nat('alloc', 0, '100.64.0.1', A7),
  nat('interim', 30, '100.64.0.1', { ...A7, allocatedAt: min(0) }),
  nat('release', 60, '100.64.0.1', A7),
  nat('alloc', 60, '100.64.0.2', A7),
  nat('interim', 120, '100.64.0.2', { ...A7, allocatedAt: min(60) }),
  nat('alloc', 0, '100.64.0.3', B7),
  nat('alloc', 90, '100.64.0.4', B7),
  nat('release', 150, '100.64.0.4', B7),
  nat('alloc', 10, '100.64.1.1', T9),
  nat('release', 100, '100.64.1.1', T9),
  nat('alloc', 20, '100.64.1.2', U9),
  nat('release', 80, '100.64.1.2', U9),
  nat('alloc', 0, '100.64.2.1', ADDR),
  nat('release', 120, '100.64.2.1', ADDR),
  nat('alloc', 30, 'fd00::1', V6),
  lease('start', -60, '100.64.0.1', 'sub-A', 240),
  lease('start', -60, '100.64.0.2', 'sub-B', 90),
  lease('start', 90, '100.64.0.2', 'sub-C', 300),
  lease('start', -60, '100.64.0.3', 'sub-D', 300),
  lease('end', 100, '100.64.0.3', 'sub-D'),
  lease('start', 80, '100.64.0.4', 'sub-E', 400),
  lease('expire', 200, '100.64.0.4', 'sub-E'),
  lease('start', -10, '100.64.1.1', 'sub-F', null, { source: 'radius-detail' }),
  lease('end', 95, '100.64.1.1', 'sub-F', null, { source: 'radius-detail' }),
  lease('start', 0, '100.64.1.2', 'sub-G', 300),
  lease('start', -5, '100.64.2.1', 'sub-H', 500),
  lease('start', 0, 'fd00::1', 'sub-V6', 600),
  lease('start', 0, '198.51.100.8', 'sub-I', 400),
];

/** Every address and port that matters, and one that holds nothing, every 10 minutes; plus handovers with a wide tolerance. */
const GRID: Query[] = [];
for (let m = -20; m <= 320; m += 10) {
  const at = new Date(min(m)).toISOString();
  for (const [ip, ports] of [[P7, [1100, 1600, null]], [P9, [1100, null]], ['203.0.113.5', [40000]], ['2001:db8::5', [2000]], ['198.51.100.8', [null]], ['198.51.100.10', [1100]]] as const) {
    for (const port of ports) GRID.push({ ip, port, at });
  }
}
for (const m of [60, 90, 100, 150]) GRID.push({ ip: P7, port: 1100, at: new Date(min(m) + 1000).toISOString(), tolerance: 120 }, { ip: P7, port: 1600, at: new Date(min(m)).toISOString(), tolerance: 60 });
GRID.push({ ip: P9, port: 1100, at: new Date(min(50)).toISOString(), protocol: 6 } as Query, { ip: P7, port: 1100, at: new Date(min(30)).toISOString(), natInstance: 'cgn9' } as Query);

const NOW = min(30 * 24 * 60);
let redis: Redis;

beforeAll(async () => {
  ({ redis } = await testRedis());
});

/** Writes the events in the given batches (fresh dictionaries, as a new process would) and answers the grid. */
async function answers(batches: CanonicalEvent[][]): Promise<unknown[]> {
  await redis.flushdb();
  const profiles = new ProfileDictionary(redis);
  const writer = new IndexWriter(redis, profiles, { days: 365, now: () => NOW });
  for (const b of batches) expect((await writer.write(b)).failed).toEqual([]);
  const resolver = asking(new Resolver(new IndexReader(redis), new ProfileDictionary(redis), { toleranceS: 2, retentionDays: 365, interimIntervalS: 3600, directVrf: 'default', now: () => NOW }));
  return Promise.all(GRID.map((q) => resolver.resolve(q)));
}

describe('the same answers for any arrival order', () => {
  let reference: unknown[];
  beforeAll(async () => {
    reference = await answers([SCENARIO]);
  });

  it('the scenario answers what its description says', () => {
    const at = (ip: string, port: number | null, m: number) => reference[GRID.findIndex((q) => q.ip === ip && q.port === port && q.at === new Date(min(m)).toISOString() && q.tolerance === undefined)] as { status: string; subscriberId: string | null };
    expect(at(P7, 1100, 30)).toMatchObject({ status: 'unique', subscriberId: 'sub-A' });
    expect(at(P7, 1100, 70)).toMatchObject({ status: 'unique', subscriberId: 'sub-B' });
    expect(at(P7, 1100, 130)).toMatchObject({ status: 'unique', subscriberId: 'sub-C' });
    expect(at(P7, 1600, 120)).toMatchObject({ status: 'unique', subscriberId: 'sub-E' });
    expect(at(P9, 1100, 50)).toMatchObject({ status: 'ambiguous' });
    expect(at('2001:db8::5', 2000, 100)).toMatchObject({ status: 'unique', subscriberId: 'sub-V6' });
    expect(at('198.51.100.8', null, 100)).toMatchObject({ status: 'unique', subscriberId: 'sub-I' });
    expect(at('198.51.100.10', 1100, 100)).toMatchObject({ status: 'not_found' });
    const statuses = new Set(reference.map((a) => (a as { status: string }).status));
    expect([...statuses].sort()).toEqual(['ambiguous', 'not_found', 'unique']);
  });

  it('gives identical answers to the whole grid for random orders, duplicates and batch sizes', async () => {
    const n = SCENARIO.length;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat({ max: n - 1 }), { maxLength: 12 }),
        fc.infiniteStream(fc.nat()),
        fc.array(fc.integer({ min: 1, max: n }), { minLength: 1, maxLength: 8 }),
        async (duplicates, keys, sizes) => {
          const events = [...SCENARIO, ...duplicates.map((i) => SCENARIO[i])]
            .map((e) => ({ e, k: keys.next().value }))
            .sort((x, y) => x.k - y.k)
            .map((x) => x.e);
          const batches: CanonicalEvent[][] = [];
          for (let i = 0, s = 0; i < events.length; s++) {
            const size = sizes[s % sizes.length];
            batches.push(events.slice(i, i + size));
            i += size;
          }
          expect(await answers(batches)).toEqual(reference);
        },
      ),
      { numRuns: 100 },
    );
  });
});
