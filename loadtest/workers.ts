/**
 * Look-ups per second with 1 and with 2 service worker processes (`serve --workers N`) on one
 * Redis on this machine: a throw-away redis-server holding a synthetic ISP's day of port-block
 * intervals and leases, an investigator token, then autocannon for a fixed time per setting.
 * Every look-up also appends its access-log record, as in production.
 * Redis is pinned to the last CPU (taskset, when the machine has it), so the workers and the load
 * generator share the others: the ratio says what a second worker gains when Redis has a core of
 * its own.
 * Usage: npx tsx loadtest/workers.ts [seconds=15] [connections=64]
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { cpus } from 'node:os';
import autocannon from 'autocannon';
import { TokenStore } from '../audit/tokens.js';
import { connectRedis } from '../commands.js';
import { closeClient } from '../redis/client.js';
import { startRedisServer } from '../redis/embedded.js';
import { ProfileDictionary } from '../timeindex/profiles.js';
import { IndexWriter } from '../timeindex/writer.js';
import { startWorkers } from '../service/workers.js';
import { load } from './load.js';
import { DEFAULT_SHAPE, leaseEvents, natEvents, publicIpOf, type IspShape } from './synthetic-isp.js';

const seconds = Number(process.argv[2] ?? 15);
const connections = Number(process.argv[3] ?? 64);
const dir = `/tmp/whohad-workers-${process.pid}`;
const server = await startRedisServer({ dir, appendonly: false });
const last = cpus().length - 1;
const pinned = last > 0 && spawnSync('taskset', ['-a', '-cp', String(last), String(server.process.pid)]).status === 0;
// the workers (forked from this process, they inherit it) and autocannon keep to the other CPUs
if (pinned) spawnSync('taskset', ['-a', '-cp', `0-${last - 1}`, String(process.pid)]);
const redis = connectRedis(server.url);
const shape: IspShape = { ...DEFAULT_SHAPE, publicIps: 64, days: 2, privateIps: 5000 };
const writer = new IndexWriter(redis, new ProfileDictionary(redis), { days: 36500, now: Date.now });
await load(writer, natEvents(shape));
await load(writer, leaseEvents(shape));
const { token } = await new TokenStore(redis).create('bench', ['investigator']);

let k = 0;
const path = () => {
  k++;
  const ip = publicIpOf(k % shape.publicIps);
  const port = 1024 + ((k * 7919) % (63 * 1024));
  const at = new Date(shape.start + ((k * 104_729_000) % (shape.days * 86_400_000))).toISOString();
  return `/v1/attribution?ip=${ip}&port=${port}&at=${at}&case=BENCH-1&legalBasis=court-order&purpose=benchmark`;
};

const results: Array<{ workers: number; rps: number; p50: number; p99: number; errors: number; non2xx: number }> = [];
for (const workers of [1, 2]) {
  const pool = await startWorkers(workers, { ...process.env, REDIS_URL: server.url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', WHOHAD_RETENTION_DAYS: '36500' });
  const run = (duration: number) =>
    autocannon({
      url: pool.address,
      connections,
      duration,
      headers: { authorization: `Bearer ${token}` },
      requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, path: path() }) }],
    });
  await run(3); // warm-up: JIT, script cache, connections
  const r = await run(seconds);
  results.push({ workers, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx });
  await pool.stop();
}
console.log(`look-ups/s, ${connections} connections, ${seconds} s each, ${cpus().length} CPUs (${cpus()[0].model}); Redis on the same machine${pinned ? `, pinned to CPU ${last}, the service and load generator to CPUs 0-${last - 1}` : ' (not pinned: no taskset)'}`);
for (const r of results) console.log(`workers=${r.workers}  ${Math.round(r.rps)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  errors ${r.errors}  non-2xx ${r.non2xx}`);
console.log(`2 vs 1: x${(results[1].rps / results[0].rps).toFixed(2)}`);
await closeClient(redis);
await server.stop();
rmSync(dir, { recursive: true, force: true });
