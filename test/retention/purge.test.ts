import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditPage } from '../../audit/read.js';
import { purgeAttribution, QUERY_MARGIN_MS, type PurgeResult } from '../../retention/purge.js';
import { bucketOf } from '../../timeindex/format.js';
import { natKeys } from '../../timeindex/keys.js';
import { alloc, at, B, CUTOFF, DAY, leaseHolders, leaseStart, natStarts, release, store } from './helpers.js';

type Store = Awaited<ReturnType<typeof store>>;

const counts = (r: PurgeResult) => ({ buckets: r.buckets, records: r.records, keysDeleted: r.keysDeleted, keptByHold: r.keptByHold, keptLive: r.keptLive, chains: r.chains });

describe('purging expired buckets', () => {
  let s: Store;
  const questions: Array<{ ip: string; port: number; at: string; tolerance: number }> = [];
  const answers = async () => Promise.all(questions.map((q) => s.resolver.resolve(q)));

  beforeAll(async () => {
    s = await store();
    await s.write([
      // .1: one holding per bucket, all released; two lie in the cutoff's own bucket
      alloc('198.51.100.1', '100.64.0.1', at(0, 1)), release('198.51.100.1', '100.64.0.1', at(0, 2)),
      alloc('198.51.100.1', '100.64.0.2', at(1, 1)), release('198.51.100.1', '100.64.0.2', at(1, 5)),
      alloc('198.51.100.1', '100.64.0.3', at(2, 1)), release('198.51.100.1', '100.64.0.3', at(2, 3)),
      alloc('198.51.100.1', '100.64.0.4', at(3, 1)), release('198.51.100.1', '100.64.0.4', at(3, 2)),
      alloc('198.51.100.1', '100.64.0.5', CUTOFF + DAY),
      leaseStart('100.64.0.1', 'sub-A', at(0, 0), at(0, 3)),
      leaseStart('100.64.0.1', 'sub-A2', CUTOFF + DAY, CUTOFF + 2 * DAY),
      // .2: holdings that began long ago but are open, or end after the cutoff
      alloc('198.51.100.2', '100.64.0.6', at(0, 1), 1024),
      alloc('198.51.100.2', '100.64.0.7', at(1, 1), 1536), release('198.51.100.2', '100.64.0.7', CUTOFF + DAY, 1536),
      alloc('198.51.100.2', '100.64.0.8', at(1, 1), 2048), release('198.51.100.2', '100.64.0.8', at(1, 2), 2048),
      // a lease that ends inside the query margin before the cutoff: a window may still reach it
      leaseStart('100.64.0.6', 'sub-B', at(0, 0), null),
      leaseStart('100.64.0.7', 'sub-C', at(2, 0), CUTOFF - QUERY_MARGIN_MS / 2),
      // .3: an orphan end after the cutoff is bounded by the holding before it, which stays
      alloc('198.51.100.3', '100.64.0.9', at(0, 1)), release('198.51.100.3', '100.64.0.9', at(0, 2)),
      alloc('198.51.100.3', '100.64.0.10', at(1, 1)), release('198.51.100.3', '100.64.0.10', at(1, 2)),
      release('198.51.100.3', '100.64.0.11', CUTOFF + 2 * DAY),
    ]);
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
      for (const t of [CUTOFF - 3_600_000, CUTOFF - 1, CUTOFF, CUTOFF + DAY, CUTOFF + 1.5 * DAY, CUTOFF + 2 * DAY, CUTOFF + 3 * DAY]) {
        for (const port of [1100, 1600, 2100]) {
          for (const tolerance of [0, 2, 3600]) questions.push({ ip, port, at: new Date(t).toISOString(), tolerance });
        }
      }
    }
  });

  it('a dry run counts what would go and changes nothing', async () => {
    const before = await s.redis.keys('*');
    const dumpBefore = await natStarts(s.redis, '198.51.100.1');
    const dry = await purgeAttribution({ redis: s.redis, cutoffMs: CUTOFF, holds: s.holds, dryRun: true, log: s.log });
    expect(dry.dryRun).toBe(true);
    expect(dry.records).toBeGreaterThan(0);
    expect((await s.redis.keys('*')).sort()).toEqual(before.sort());
    expect(await natStarts(s.redis, '198.51.100.1')).toEqual(dumpBefore);
    expect((await auditPage(s.redis, { limit: 10 })).records).toEqual([]);

    const answered = await answers();
    const real = await purgeAttribution({ redis: s.redis, cutoffMs: CUTOFF, holds: s.holds, log: s.log });
    expect(counts(real)).toEqual(counts(dry));
    // every answer a query within retention can get is the same after the purge
    expect(await answers()).toEqual(answered);
    expect(answered.some((a) => a.status !== 'outside_retention')).toBe(true);
  });

  it('removes the holdings of buckets wholly before the cutoff and leaves the rest untouched', async () => {
    expect(await natStarts(s.redis, '198.51.100.1')).toEqual([at(3, 1), CUTOFF + DAY]);
    for (const b of [0, 1, 2]) expect(await s.redis.exists(`${natKeys.chainPrefix('198.51.100.1', 'cgn1|1024|1535|*')}${B + b}`)).toBe(0);
    expect(await s.redis.hget(natKeys.meta('198.51.100.1'), 'lo')).toBe(String(B + 3));
    expect(await leaseHolders(s.redis, '100.64.0.1')).toEqual(['sub-A2']);
    expect(await s.redis.hget('lm:{default|100.64.0.1}', 'lo')).toBe(String(bucketOf(CUTOFF + DAY)));
  });

  it('keeps a holding that started long ago but is open or ends after the cutoff', async () => {
    expect(await natStarts(s.redis, '198.51.100.2')).toEqual([at(0, 1), at(1, 1)]);
    expect(await s.redis.hget(natKeys.meta('198.51.100.2'), 'lo')).toBe(String(B));
    expect(await leaseHolders(s.redis, '100.64.0.6')).toEqual(['sub-B']);
    expect(await leaseHolders(s.redis, '100.64.0.7')).toEqual(['sub-C']);
  });

  it('keeps the holding an orphan end after the cutoff is bounded by', async () => {
    expect(await natStarts(s.redis, '198.51.100.3')).toEqual([at(1, 1), CUTOFF + 2 * DAY]);
  });

  it('records the purge in the access log: the range and the counts', async () => {
    const { records } = await auditPage(s.redis, { limit: 10 });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      kind: 'purge', user: null,
      details: { data: 'attribution', cutoff: new Date(CUTOFF).toISOString(), endedBefore: new Date(CUTOFF - QUERY_MARGIN_MS).toISOString(), bucketsBefore: new Date(at(3, 0)).toISOString(), records: 6 },
    });
  });

  it('a second purge finds nothing more and records nothing', async () => {
    const again = await purgeAttribution({ redis: s.redis, cutoffMs: CUTOFF, holds: s.holds, log: s.log });
    expect(again.records).toBe(0);
    expect(again.keysDeleted).toBe(0);
    expect((await auditPage(s.redis, { limit: 10 })).records).toHaveLength(1);
  });
});

describe('the cost of a purge', () => {
  it('reads only the address registry and each address\'s first bucket when nothing has expired', async () => {
    const s = await store();
    const events = [];
    for (let i = 1; i <= 40; i++) {
      events.push(alloc(`192.0.2.${i}`, `100.65.0.${i}`, at(3, 1)), leaseStart(`100.65.0.${i}`, `sub-${i}`, at(3, 0), null));
    }
    await s.write(events);
    // a client of its own, so that every command the purge sends is seen
    const client = new Redis(s.url);
    await client.ping();
    const sent: string[] = [];
    const send = client.sendCommand.bind(client);
    client.sendCommand = ((cmd: { name: string }, ...rest: unknown[]) => {
      sent.push(cmd.name);
      return (send as (...a: unknown[]) => unknown)(cmd, ...rest);
    }) as typeof client.sendCommand;
    try {
      const r = await purgeAttribution({ redis: client, cutoffMs: CUTOFF, holds: null, log: s.log });
      expect(r).toMatchObject({ addresses: 80, chains: 0, buckets: 0, records: 0, keysDeleted: 0 });
      expect(new Set(sent)).toEqual(new Set(['sscan', 'hget']));
      expect(sent.filter((c) => c === 'hget')).toHaveLength(80);
    } finally {
      await client.quit();
    }
  });
});
