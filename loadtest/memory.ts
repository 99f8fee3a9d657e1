/**
 * Bytes of Redis `used_memory` per stored port-block interval and per lease holding, with the
 * layout the real code writes (IndexWriter, the Lua merge scripts). Starts its own throw-away
 * redis-server. Usage: node dist/loadtest/memory.js [intervals=1000000] [holdings=1000000] [days=365]
 *
 * Over churn (allocations per block per day, holdings per address per day: 0.3, 1, 3, 10), each
 * on an emptied Redis: node dist/loadtest/memory.js churn [records=200000] [days=365]
 * (or npx tsx loadtest/memory.ts churn …). Bytes per record grow as churn falls: fewer records
 * share a chain key's and a bucket's fixed cost.
 */
import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { defineCommands } from '../commands.js';
import { closeClient, reportErrors } from '../redis/client.js';
import { startRedisServer } from '../redis/embedded.js';
import { ProfileDictionary } from '../timeindex/profiles.js';
import { IndexWriter } from '../timeindex/writer.js';
import { census, load, usedMemory } from './load.js';
import { DEFAULT_SHAPE, leaseEvents, natEvents, type IspShape } from './synthetic-isp.js';

const churnMode = process.argv[2] === 'churn';
if (churnMode) process.argv.splice(2, 1);
const targetIntervals = Number(process.argv[2] ?? 1_000_000);
const targetHoldings = Number(process.argv[3] ?? 1_000_000);
// Days the data spans: a full retention period (365) is the steady state whose per-record cost
// matters for sizing; a short span leaves buckets partly filled and costs more per record.
const days = Number(process.argv[4] ?? 365);

const dir = `/tmp/whohad-memory-${process.pid}`;
// e.g. MEMORY_REDIS_ARGS="--zset-max-listpack-entries 256" to measure a tuned Redis
const server = await startRedisServer({ dir, appendonly: false, extraArgs: (process.env.MEMORY_REDIS_ARGS ?? '').split(' ').filter(Boolean) });
const redis = new Redis(server.url);
reportErrors(redis);
defineCommands(redis);
const writer = new IndexWriter(redis, new ProfileDictionary(redis), { days: 36500, now: Date.now });
const version = (await redis.info('server')).match(/redis_version:(\S+)/)![1];

/**
 * What earlier runs measured, printed beside each new figure: the sizing table in
 * docs/operations.md was written from them, so a figure far from its expectation means the
 * table must be measured again.
 */
const EXPECTED: Record<string, Record<number, string>> = {
  interval: { 0.3: '~37 B (issue 17, measured)', 3: '~22 B (1 M intervals, docs)' },
  holding: { 1: '~29 B (1 M holdings at 1.1/day, docs)' },
};

if (churnMode) {
  await churnTable(Number(process.argv[2] ?? 200_000), Number(process.argv[3] ?? 365));
  await closeClient(redis);
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

async function churnTable(records: number, spanDays: number): Promise<void> {
  console.log(`Redis ${version}: used_memory per record over churn, ${records} records per row over ${spanDays} days, each row on an emptied Redis`);
  console.log(`${'record'.padEnd(10)} ${'per day'.padStart(8)} ${'records'.padStart(9)} ${'keys'.padStart(8)} ${'rec/key'.padStart(8)} ${'B/rec'.padStart(7)} ${'events/s'.padStart(9)}  expected`);
  for (const kind of ['interval', 'holding'] as const) {
    for (const churn of [0.3, 1, 3, 10]) {
      await redis.flushall();
      const fresh = new IndexWriter(redis, new ProfileDictionary(redis), { days: 36500, now: Date.now });
      const before = await usedMemory(redis);
      const shape: IspShape =
        kind === 'interval'
          ? { ...DEFAULT_SHAPE, days: spanDays, allocsPerBlockPerDay: churn, publicIps: Math.max(1, Math.ceil(records / (63 * spanDays * churn))) }
          : { ...DEFAULT_SHAPE, days: spanDays, holdingsPerAddressPerDay: churn, privateIps: Math.max(1, Math.ceil(records / (spanDays * churn))) };
      const loaded = await load(fresh, kind === 'interval' ? natEvents(shape) : leaseEvents(shape));
      const bytes = (await usedMemory(redis)) - before;
      const c = await census(redis, kind === 'interval' ? 'a:*' : 'l:*');
      const rate = Math.round(loaded.events / (loaded.ms / 1000));
      console.log(
        `${kind.padEnd(10)} ${String(churn).padStart(8)} ${String(c.entries).padStart(9)} ${String(c.keys).padStart(8)} ${(c.entries / c.keys).toFixed(1).padStart(8)} ${(bytes / c.entries).toFixed(1).padStart(7)} ${String(rate).padStart(9)}  ${EXPECTED[kind][churn] ?? '-'} (${c.listpack}/${c.sampled} listpack)`,
      );
    }
  }
}

// 256 addresses x 63 blocks over 30 days give about 3.1 intervals per block per day; grow the
// number of addresses until the target is met.
const natShape: IspShape = { ...DEFAULT_SHAPE, days, publicIps: Math.ceil(targetIntervals / (63 * days * 3.1)) };
const before = await usedMemory(redis);
const nat = await load(writer, natEvents(natShape));
const afterNat = await usedMemory(redis);
const chains = await census(redis, 'a:*');

const leaseShape: IspShape = { ...DEFAULT_SHAPE, days, privateIps: Math.ceil(targetHoldings / (days * 1.1)) };
const lease = await load(writer, leaseEvents(leaseShape));
const afterLease = await usedMemory(redis);
const holdings = await census(redis, 'l:*');

const row = (label: string, n: number, bytes: number, keys: number, lp: string) =>
  console.log(`${label.padEnd(22)} ${String(n).padStart(10)} ${String(keys).padStart(9)} ${(bytes / n).toFixed(1).padStart(8)} B  ${lp}`);
console.log(`Redis used_memory per record (layout of docs/time-index.md), Redis ${version}`);
console.log(`${'what'.padEnd(22)} ${'records'.padStart(10)} ${'keys'.padStart(9)} ${'per rec'.padStart(10)}  encoding of sampled keys`);
row('port-block intervals', chains.entries, afterNat - before, chains.keys, `${chains.listpack}/${chains.sampled} listpack`);
row('lease holdings', holdings.entries, afterLease - afterNat, holdings.keys, `${holdings.listpack}/${holdings.sampled} listpack`);
console.log(`ingest through IndexWriter: ${nat.events} NAT events in ${(nat.ms / 1000).toFixed(1)} s (${Math.round(nat.events / (nat.ms / 1000))}/s), ${lease.events} lease events in ${(lease.ms / 1000).toFixed(1)} s (${Math.round(lease.events / (lease.ms / 1000))}/s)`);
await closeClient(redis);
await server.stop();
rmSync(dir, { recursive: true, force: true });
