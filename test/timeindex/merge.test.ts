import fc from 'fast-check';
import { Redis } from 'ioredis';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CanonicalEvent } from '../../events/schema.js';
import { dumpLeases, dumpNat } from '../../timeindex/dump.js';
import type { Entry } from '../../timeindex/entry.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { IndexWriter } from '../../timeindex/writer.js';
import { lease, min, nat } from '../helpers/events.js';
import { testRedis } from '../helpers/redis.js';

let redis: Redis;
let writer: IndexWriter;

beforeAll(async () => {
  ({ redis } = await testRedis());
  writer = new IndexWriter(redis, new ProfileDictionary(redis));
});
beforeEach(async () => {
  await redis.flushdb();
});

type Row = [string, number | null, number | null, string, boolean?];
const show = (e: Entry): Row => {
  const who = e.who.length === 4 ? `${e.who[0]}.${e.who[1]}.${e.who[2]}.${e.who[3]}` : e.who.toString();
  const row: Row = [who, e.orphan ? null : (e.start - min(0)) / 60_000, e.end === null ? null : (e.end - min(0)) / 60_000, e.endBasis];
  if (e.startInferred) row.push(true);
  return row;
};

async function natChain(): Promise<Row[]> {
  const chains = await dumpNat(redis, '198.51.100.7');
  return [...chains.values()].flat().map(show);
}
async function leaseChain(ip = '100.64.0.1'): Promise<Row[]> {
  return (await dumpLeases(redis, 'default', ip)).map(show);
}

async function ingest(events: CanonicalEvent[]) {
  const out = await writer.write(events);
  expect(out.failed).toEqual([]);
}

const A = '100.64.0.1';
const B = '100.64.0.2';

describe('allocation chain', () => {
  it('opens, releases and is idempotent', async () => {
    await ingest([nat('alloc', 0, A), nat('alloc', 0, A), nat('release', 60, A), nat('release', 60, A)]);
    expect(await natChain()).toEqual([[A, 0, 60, 'released']]);
  });

  it('closes a holding whose release was lost when the block goes to another inside address', async () => {
    await ingest([nat('alloc', 0, A), nat('alloc', 90, B)]);
    expect(await natChain()).toEqual([[A, 0, 90, 'superseded'], [B, 90, null, 'open']]);
  });

  it('gives the same state when the release arrives before its allocation', async () => {
    await ingest([nat('release', 60, A), nat('alloc', 0, A)]);
    expect(await natChain()).toEqual([[A, 0, 60, 'released']]);
  });

  it('keeps a release with no allocation as an orphan that ends the holding before it', async () => {
    await ingest([nat('alloc', 0, A), nat('release', 60, B)]);
    expect(await natChain()).toEqual([[A, 0, 60, 'superseded'], [B, null, 60, 'released']]);
  });

  it('turns an interim for a block never seen allocated into a holding with an inferred start', async () => {
    await ingest([nat('interim', 30, A)]);
    expect(await natChain()).toEqual([[A, 30, null, 'open', true]]);
    await ingest([nat('alloc', 0, A)]);
    expect(await natChain()).toEqual([[A, 0, null, 'open']]);
  });

  it('uses the allocation time an interim restates', async () => {
    await ingest([nat('interim', 30, A, { allocatedAt: min(5) })]);
    expect(await natChain()).toEqual([[A, 5, null, 'open']]);
  });

  it('keeps a holding across bucket boundaries', async () => {
    await ingest([nat('alloc', 0, A), nat('release', 60 * 24 * 40, A)]);
    expect(await natChain()).toEqual([[A, 0, 60 * 24 * 40, 'released']]);
  });
});

describe('member encoding', () => {
  it('keeps profile ids of 128 and above (two-byte varint) apart and intact', async () => {
    const events = Array.from({ length: 140 }, (_, i) => nat('alloc', i, A, { source: `src-${i}`, portStart: 2048 + i, portEnd: 2048 + i }));
    await ingest(events);
    const dict = new ProfileDictionary(redis);
    const chains = await dumpNat(redis, '198.51.100.7');
    const profiles = await dict.describe([...chains.values()].flat().map((e) => e.profile));
    for (const [cid, entries] of chains) {
      const i = Number(cid.split('|')[1]) - 2048;
      expect(entries.map(show)).toEqual([[A, i, null, 'open']]);
      expect(profiles.get(entries[0].profile)?.source).toBe(`src-${i}`);
    }
    expect(Math.max(...[...chains.values()].flat().map((e) => e.profile))).toBeGreaterThanOrEqual(128);
  });
});

describe('lease chain', () => {
  it('extends one holding on renewal and ends it at release', async () => {
    await ingest([lease('start', 0, A, 'sub-1', 60), lease('start', 30, A, 'sub-1', 90), lease('end', 70, A, 'sub-1')]);
    expect(await leaseChain()).toEqual([['sub-1', 0, 70, 'released']]);
  });

  it('keeps the scheduled expiry as an inferred end and lets another subscriber supersede it', async () => {
    await ingest([lease('start', 0, A, 'sub-1', 60), lease('start', 40, A, 'sub-2', 100)]);
    expect(await leaseChain()).toEqual([['sub-1', 0, 40, 'superseded'], ['sub-2', 40, 100, 'scheduled']]);
  });

  it('starts a new holding when the same subscriber returns after expiry', async () => {
    await ingest([lease('start', 0, A, 'sub-1', 60), lease('start', 120, A, 'sub-1', 180)]);
    expect(await leaseChain()).toEqual([['sub-1', 0, 60, 'scheduled'], ['sub-1', 120, 180, 'scheduled']]);
  });

  it('records expiry and RADIUS stop as their own end bases', async () => {
    await ingest([lease('start', 0, A, 'sub-1', 60), lease('expire', 60, A, 'sub-1'), lease('start', 70, B, 'u1', null, { source: 'radius-detail' }), lease('end', 80, B, 'u1', null, { source: 'radius-detail' })]);
    expect(await leaseChain(A)).toEqual([['sub-1', 0, 60, 'expired']]);
    expect(await leaseChain(B)).toEqual([['u1', 70, 80, 'stop']]);
  });
});

const permutations = <T>(xs: T[]): T[][] =>
  xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));

describe('a handover within one second', () => {
  it('gives the same allocation chain in every arrival order', async () => {
    const events = [nat('alloc', 0, A), nat('release', 10, A), nat('alloc', 10, B), nat('release', 20, B), nat('alloc', 20, A)];
    for (const order of permutations(events)) {
      await redis.flushdb();
      for (const e of order) await ingest([e]);
      expect(await natChain()).toEqual([[A, 0, 10, 'released'], [B, 10, 20, 'released'], [A, 20, null, 'open']]);
    }
  });

  it('gives the same lease chain in every arrival order', async () => {
    const events = [lease('start', 0, A, 'sub-1', 60), lease('end', 10, A, 'sub-1'), lease('start', 10, A, 'sub-2', 70), lease('start', 40, A, 'sub-2', 100)];
    for (const order of permutations(events)) {
      await redis.flushdb();
      for (const e of order) await ingest([e]);
      expect(await leaseChain()).toEqual([['sub-1', 0, 10, 'released'], ['sub-2', 10, 100, 'scheduled']]);
    }
  });

  it('keeps a release whose allocation is missing as an orphan in every order', async () => {
    const events = [nat('alloc', 0, A), nat('release', 10, B), nat('alloc', 10, A)];
    const shapes = new Set<string>();
    for (const order of permutations(events)) {
      await redis.flushdb();
      for (const e of order) await ingest([e]);
      shapes.add(JSON.stringify(await natChain()));
    }
    expect([...shapes]).toEqual([JSON.stringify([[A, 0, 10, 'superseded'], [A, 10, null, 'open'], [B, null, 10, 'released']])]);
  });
});

describe('order independence', () => {
  const addr = [A, B, '100.64.0.3'];
  const natEvent = fc
    .record({ kind: fc.constantFrom('alloc', 'release', 'alloc', 'release', 'interim'), at: fc.integer({ min: 0, max: 40 }), who: fc.integer({ min: 0, max: 2 }) })
    .map(({ kind, at, who }) => nat(kind as 'alloc', at * 10, addr[who]));
  // Each subscriber's events fall in its own stretch of time (an address is held by one at a
  // time); the arrival order and duplicates are what varies. A subscriber starting inside
  // another's holding that then renews again is the merged-renewal limit of docs/time-index.md.
  const leaseEvent = fc
    .record({ kind: fc.constantFrom('start', 'start', 'end', 'expire'), slot: fc.integer({ min: 0, max: 12 }), who: fc.integer({ min: 0, max: 2 }), life: fc.integer({ min: 1, max: 12 }) })
    .map(({ slot, who, ...rest }) => ({ ...rest, who, at: who * 14 + slot }))
    // a subscriber's starts on one address come from one kind of source: sub-1 has open
    // sessions (RADIUS), the others leases with an expiry (DHCP)
    .map(({ kind, at, who, life }) => lease(kind as 'start', at * 10, A, `sub-${who}`, kind === 'start' && who !== 1 ? Math.min(at + life, who * 14 + 13) * 10 : null));

  // Limits of docs/time-index.md left out here: interims after a release of the same holder,
  // and different events at the very same instant on one chain (the handover in one second is
  // proven in every order by the test below instead). Every other mix must converge exactly.
  const distinctInstants = (evs: CanonicalEvent[]) => {
    const kinds = new Map<number, string>();
    for (const e of evs) {
      const key = `${e.event}|${e.kind === 'nat' ? e.privateIp : e.subscriberId}`;
      if ((kinds.get(e.at) ?? key) !== key) return false;
      kinds.set(e.at, key);
    }
    return true;
  };
  const natSets = fc.array(natEvent, { minLength: 1, maxLength: 12 }).filter((evs) => !evs.some((e) => e.event === 'interim') && distinctInstants(evs));
  // a subscriber's ends come after its restarts (a late end inside a holding that merged a later
// renewal is the merged-renewal limit of docs/time-index.md)
  const endsLast = (evs: CanonicalEvent[]) =>
    evs.every((e) => e.event === 'start' || !evs.some((s) => s.event === 'start' && s.kind === 'lease' && e.kind === 'lease' && s.subscriberId === e.subscriberId && s.at > e.at));
  const leaseSets = fc.array(leaseEvent, { minLength: 1, maxLength: 12 }).filter((evs) => distinctInstants(evs) && endsLast(evs));

  it('converges to the same allocation chain for any order and duplicates', async () => {
    await fc.assert(
      fc.asyncProperty(natSets, fc.infiniteStream(fc.nat()), async (events, seeds) => {
        await redis.flushdb();
        await ingest(events);
        const reference = await natChain();
        await redis.flushdb();
        const shuffled = [...events, ...events.slice(0, 3)].map((e) => ({ e, k: seeds.next().value })).sort((x, y) => x.k - y.k).map((x) => x.e);
        for (const e of shuffled) await ingest([e]);
        expect(await natChain()).toEqual(reference);
      }),
      { numRuns: 150 },
    );
  });

  it('converges to the same lease chain for any order and duplicates', async () => {
    await fc.assert(
      fc.asyncProperty(leaseSets, fc.infiniteStream(fc.nat()), async (events, seeds) => {
        await redis.flushdb();
        await ingest(events);
        const reference = await leaseChain();
        await redis.flushdb();
        const shuffled = [...events, ...events.slice(0, 3)].map((e) => ({ e, k: seeds.next().value })).sort((x, y) => x.k - y.k).map((x) => x.e);
        for (const e of shuffled) await ingest([e]);
        expect(await leaseChain()).toEqual(reference);
      }),
      { numRuns: 150 },
    );
  });
});

