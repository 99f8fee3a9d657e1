/**
 * npm run bench [-- --quick]: every figure issue 14 sets a target for, in one table, measured in
 * one run on this machine (client, service and Redis sharing it), each comparison in the same run:
 * - look-ups/s, p99 and CPU of GET /v1/attribution (token, both hops, the access-log record)
 *   against a bare Fastify hello world, on the dev mix and on the realistic mix (local times with
 *   tz, the repeated DST hour, offsets, epoch s/ms, a tenth without a port), at two index sizes;
 * - the route's floor at the smaller size: a ready-made answer instead of the look-up, with and
 *   without its access-log record (what the route leaves a resolver; loadtest/lookup-floor-service.ts);
 * - p50 growth from the smaller index to the larger;
 * - Redis used_memory per port-block interval and per lease holding at both sizes;
 * - ingest of canonical events over 10,240 public addresses and of a Juniper PBA device file
 *   (loadtest/ingest-bench.ts), beside the per-address path in the same run;
 * - bulk rows/s with the client in its own process (loadtest/bulk.ts).
 * Full: 1M and 10M intervals, 1M events, 1M bulk rows (about half an hour). --quick: small sizes
 * and short loads, under two minutes: it checks everything runs and reports; it does not fail
 * on a slow machine.
 */
import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { defineCommands } from '../commands.js';
import { closeClient, reportErrors } from '../redis/client.js';
import { TokenStore } from '../audit/tokens.js';
import { startRedisServer } from '../redis/embedded.js';
import { ProfileDictionary } from '../timeindex/profiles.js';
import { IndexWriter } from '../timeindex/writer.js';
import { cannon, child, printTable, SERVICE_NODE_FLAGS, stop, type BenchRow } from './harness.js';
import { census, load, usedMemory } from './load.js';
import { DEFAULT_SHAPE, leaseEvents, natEvents, type IspShape } from './synthetic-isp.js';
import { devMix, realisticMix, routeFloors } from './lookup-bench.js';
import { ingestBench } from './ingest-bench.js';
import { bulkBench } from './bulk.js';

const quick = process.argv.includes('--quick');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const sizes = quick ? [20_000, 200_000] : [arg('--small', 1_000_000), arg('--large', 10_000_000)];
const seconds = quick ? 5 : 20;
const ingestEvents = quick ? 100_000 : 1_000_000;
const bulkRows = quick ? 50_000 : 1_000_000;
const bulkIntervals = quick ? 100_000 : 1_000_000;
const root = new URL('../../', import.meta.url);

const rows: BenchRow[] = [];

/** A full year of retention: the steady state whose per-record cost and look-up speed matter. */
function shapeFor(intervals: number): IspShape {
  const days = 365;
  return { ...DEFAULT_SHAPE, days, publicIps: Math.max(1, Math.ceil(intervals / (63 * days * 3.1))), privateIps: Math.max(1, Math.ceil(intervals / (days * 1.1))) };
}

const dir = `/tmp/whohad-bench-${process.pid}`;
const server = await startRedisServer({ dir, appendonly: false });
const redis = new Redis(server.url);
reportErrors(redis);
defineCommands(redis);
const writer = () => new IndexWriter(redis, new ProfileDictionary(redis), { days: 36500, now: Date.now });

try {
  // baseline
  const hello = await child('node', [new URL('dist/loadtest/hello-server.js', root).pathname], {}, /^(http:\/\/\S+)$/);
  const base = await cannon(hello.match[1], () => '/', { seconds, connections: 100, pid: hello.proc.pid! });
  await stop(hello.proc);
  rows.push({ figure: 'hello-world baseline', value: base.rps, unit: 'req/s', target: '(baseline)', ok: null, note: `p99 ${base.p99} ms` });

  const p50s: number[] = [];
  for (const size of sizes) {
    await redis.flushall();
    const shape = shapeFor(size);
    const before = await usedMemory(redis);
    const natLoad = await load(writer(), natEvents(shape));
    const afterNat = await usedMemory(redis);
    const chains = await census(redis, 'a:*');
    await load(writer(), leaseEvents(shape));
    const afterLease = await usedMemory(redis);
    const holdings = await census(redis, 'l:*');
    const perInterval = (afterNat - before) / chains.entries;
    const perHolding = (afterLease - afterNat) / holdings.entries;
    rows.push({ figure: `memory per interval (${chains.entries.toLocaleString('en')})`, value: perInterval, unit: 'B', target: '<= 24 (at 10M)', ok: perInterval <= 24, note: `${chains.listpack}/${chains.sampled} keys listpack; loaded at ${Math.round(natLoad.events / (natLoad.ms / 1000))} events/s` });
    rows.push({ figure: `memory per lease holding (${holdings.entries.toLocaleString('en')})`, value: perHolding, unit: 'B', target: '<= 34 (at 10M)', ok: perHolding <= 34 });

    const token = (await new TokenStore(redis).create(`bench-${size}`, ['investigator'])).token;
    const svc = await child('node', [...SERVICE_NODE_FLAGS, new URL('bin/whohad.js', root).pathname, 'serve'], { REDIS_URL: server.url, PORT: '0', LOG_LEVEL: 'info' }, /whohad listening on (http:\/\/[^"\s]+)/);
    const at = `${chains.entries.toLocaleString('en')} intervals`;
    for (const [mix, path] of [['dev mix', devMix(shape)], ['realistic mix', realisticMix(shape)]] as const) {
      const look = await cannon(svc.match[1], path, { seconds, connections: 100, pid: svc.proc.pid!, redis, headers: { authorization: `Bearer ${token}` } });
      if (mix === 'dev mix') p50s.push(look.p50Exact);
      rows.push({ figure: `look-ups, ${mix}, ${at}`, value: look.rps, unit: 'req/s', target: '>= 50% of baseline', ok: look.rps >= 0.5 * base.rps, note: `${((look.rps / base.rps) * 100).toFixed(0)}% of baseline; p50 ${look.p50Exact} ms; CPU a look-up: service ${look.nodeUs.toFixed(0)} µs (hello world ${base.nodeUs.toFixed(0)}), Redis ${look.redisUs.toFixed(0)} µs; ${look.errors} errors` });
      rows.push({ figure: `  p99, ${mix}, ${at}`, value: look.p99, unit: 'ms', target: '< 10', ok: look.p99 < 10 });
    }
    await stop(svc.proc);
    if (size === sizes[0]) rows.push(...(await routeFloors({ redis, redisUrl: server.url, token, shape, seconds, base })));
  }
  const growth = p50s[0] === 0 ? (p50s[1] === 0 ? 0 : Infinity) : (p50s[1] - p50s[0]) / p50s[0];
  rows.push({ figure: `p50 growth ${sizes[0].toLocaleString('en')} -> ${sizes[1].toLocaleString('en')} (dev mix)`, value: growth * 100, unit: '%', target: '<= 10%', ok: growth <= 0.1, note: `p50 ${p50s.join(' ms -> ')} ms` });
  await redis.flushall();
} finally {
  await closeClient(redis);
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

// ingest and bulk start Redis servers of their own
rows.push(...(await ingestBench({ events: ingestEvents, runs: 1 })));
rows.push(...(await bulkBench({ rows: bulkRows, intervals: bulkIntervals, runs: 1, log: () => {} })).table);

console.log(`\nwhohad bench${quick ? ' --quick' : ''}: ${new Date().toISOString()}, node ${process.version}, ${(await import('node:os')).cpus().length} cores`);
printTable(rows);
