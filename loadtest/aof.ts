/**
 * Disk and restart costs of the append-only file, with the layout the real code writes: loads
 * port-block intervals through IndexWriter into a redis-server keeping an AOF, then reports the
 * AOF's size per event before and after a rewrite, the rewrite's time, and how long the server
 * takes to load it again after a restart.
 * Usage: npx tsx loadtest/aof.ts [intervals=500000] [allocations per block per day=3]
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { defineCommands } from '../commands.js';
import { closeClient, reportErrors } from '../redis/client.js';
import { startRedisServer } from '../redis/embedded.js';
import { ProfileDictionary } from '../timeindex/profiles.js';
import { IndexWriter } from '../timeindex/writer.js';
import { load, usedMemory } from './load.js';
import { DEFAULT_SHAPE, natEvents } from './synthetic-isp.js';

const target = Number(process.argv[2] ?? 500_000);
const churn = Number(process.argv[3] ?? 3);
const days = 365;
const dir = `/tmp/whohad-aof-${process.pid}`;

const aofBytes = () => {
  const d = join(dir, 'appendonlydir');
  return readdirSync(d).reduce((n, f) => n + statSync(join(d, f)).size, 0);
};
const info = async (r: Redis, field: string) => Number(new RegExp(`${field}:(\\d+)`).exec(await r.info('persistence'))?.[1] ?? NaN);
const until = async (what: () => Promise<boolean>) => {
  while (!(await what())) await new Promise((done) => setTimeout(done, 50));
};

let server = await startRedisServer({ dir, appendonly: true, appendfsync: 'everysec', extraArgs: ['--auto-aof-rewrite-percentage', '0'] });
let redis = new Redis(server.url);
reportErrors(redis);
defineCommands(redis);
const writer = new IndexWriter(redis, new ProfileDictionary(redis), { days: 36500, now: Date.now });
const shape = { ...DEFAULT_SHAPE, days, allocsPerBlockPerDay: churn, publicIps: Math.max(1, Math.ceil(target / (63 * days * churn))) };
const loaded = await load(writer, natEvents(shape));
await until(async () => (await info(redis, 'aof_pending_bio_fsync')) === 0);
const grown = aofBytes();
const used = await usedMemory(redis);

const t0 = performance.now();
await redis.bgrewriteaof();
await until(async () => (await info(redis, 'aof_rewrite_in_progress')) === 0 && (await info(redis, 'aof_rewrite_scheduled')) === 0);
const rewriteMs = performance.now() - t0;
const rewritten = aofBytes();
const cow = await info(redis, 'aof_last_cow_size');

await closeClient(redis);
await server.stop();
const t1 = performance.now();
server = await startRedisServer({ dir, appendonly: true, port: server.port });
redis = new Redis(server.url);
reportErrors(redis);
await until(async () => (await info(redis, 'loading').catch(() => 1)) === 0);
const loadMs = performance.now() - t1;

const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
console.log(`${loaded.events} NAT events (${churn} allocations per block per day, ${days} days) in ${(loaded.ms / 1000).toFixed(1)} s; used_memory ${mb(used)}`);
console.log(`AOF as written: ${mb(grown)} = ${(grown / loaded.events).toFixed(0)} B per event (${(grown / used).toFixed(2)} x used_memory)`);
console.log(`AOF after BGREWRITEAOF: ${mb(rewritten)} = ${(rewritten / used).toFixed(2)} x used_memory; rewrite took ${(rewriteMs / 1000).toFixed(1)} s, copy-on-write ${mb(cow)}`);
console.log(`restart: loaded in ${(loadMs / 1000).toFixed(2)} s = ${(loadMs / (used / 2 ** 30) / 1000).toFixed(1)} s per GiB of used_memory`);
await closeClient(redis);
await server.stop();
rmSync(dir, { recursive: true, force: true });
