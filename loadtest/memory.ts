/**
 * Bytes of Redis `used_memory` per stored port-block interval and per lease holding, with the
 * layout the real code writes (IndexWriter, the Lua merge scripts). Starts its own throw-away
 * redis-server. Usage: node dist/loadtest/memory.js [intervals=1000000] [holdings=1000000] [days=365]
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

const targetIntervals = Number(process.argv[2] ?? 1_000_000);
const targetHoldings = Number(process.argv[3] ?? 1_000_000);
// Days the data spans: a full retention period (365) is the steady state whose per-record cost
// matters for sizing; a short span leaves buckets partly filled and costs more per record.
const days = Number(process.argv[4] ?? 365);

const dir = `/tmp/whohad-memory-${process.pid}`;
const server = await startRedisServer({ dir, appendonly: false });
const redis = new Redis(server.url);
reportErrors(redis);
defineCommands(redis);
const writer = new IndexWriter(redis, new ProfileDictionary(redis), { days: 36500, now: Date.now });

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
console.log(`Redis used_memory per record (layout of docs/time-index.md), Redis ${(await redis.info('server')).match(/redis_version:(\S+)/)![1]}`);
console.log(`${'what'.padEnd(22)} ${'records'.padStart(10)} ${'keys'.padStart(9)} ${'per rec'.padStart(10)}  encoding of sampled keys`);
row('port-block intervals', chains.entries, afterNat - before, chains.keys, `${chains.listpack}/${chains.sampled} listpack`);
row('lease holdings', holdings.entries, afterLease - afterNat, holdings.keys, `${holdings.listpack}/${holdings.sampled} listpack`);
console.log(`ingest through IndexWriter: ${nat.events} NAT events in ${(nat.ms / 1000).toFixed(1)} s (${Math.round(nat.events / (nat.ms / 1000))}/s), ${lease.events} lease events in ${(lease.ms / 1000).toFixed(1)} s (${Math.round(lease.events / (lease.ms / 1000))}/s)`);
await closeClient(redis);
await server.stop();
rmSync(dir, { recursive: true, force: true });
