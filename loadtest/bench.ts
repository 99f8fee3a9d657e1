/**
 * npm run bench [-- --quick]: every figure issue 7 sets a target for, in one table, measured in
 * one run on this machine (client, service and Redis sharing it):
 * - look-ups/s and latency of GET /v1/attribution (full two-hop resolution and the access-log
 *   write) against a bare Fastify hello-world route, same autocannon settings;
 * - p50 at two index sizes (latency must not grow with the index);
 * - ingest events/s of a canonical NDJSON file through the real pipeline;
 * - Redis used_memory per port-block interval and per lease holding, as the writer stores them.
 * --quick runs small sizes and short loads (about a minute): it checks everything runs and
 * reports; it does not fail on a slow machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { defineCommands } from '../commands.js';
import { closeClient, reportErrors } from '../redis/client.js';
import { TokenStore } from '../audit/tokens.js';
import { eventToWire } from '../events/wire.js';
import { startRedisServer } from '../redis/embedded.js';
import { linesOf, parseStream } from '../intake/pipeline.js';
import { formatByName } from '../parse/registry.js';
import { ProfileDictionary } from '../timeindex/profiles.js';
import { IndexWriter } from '../timeindex/writer.js';
import { census, load, usedMemory } from './load.js';
import { DEFAULT_SHAPE, leaseEvents, natEvents, privateIpOf, publicIpOf, rng, type IspShape } from './synthetic-isp.js';

const quick = process.argv.includes('--quick');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const sizes = quick ? [20_000, 200_000] : [arg('--small', 1_000_000), arg('--large', 10_000_000)];
const seconds = quick ? 5 : 20;
const ingestEvents = quick ? 100_000 : 1_000_000;
const root = new URL('../../', import.meta.url);

interface Row {
  figure: string;
  value: number;
  unit: string;
  target: string;
  ok: boolean | null;
  note?: string;
}
const rows: Row[] = [];

async function child(cmd: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ proc: ChildProcess; match: RegExpMatchArray }> {
  const proc = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! });
  for await (const line of lines) {
    const m = line.match(ready);
    if (m) return { proc, match: m };
  }
  throw new Error(`${cmd} ${args.join(' ')} exited before it was ready`);
}

async function stop(proc: ChildProcess) {
  if (proc.exitCode !== null) return;
  proc.kill('SIGTERM');
  await once(proc, 'exit');
}

async function cannon(url: string, path: () => string, headers: Record<string, string> = {}) {
  const opts = { url, connections: 100, pipelining: 1, headers, requests: [{ setupRequest: (req: any) => ({ ...req, path: path() }) }] };
  await autocannon({ ...opts, duration: 2 }); // warm-up
  const r = await autocannon({ ...opts, duration: seconds });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

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
  const base = await cannon(hello.match[1], () => '/');
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
    const svc = await child('node', [new URL('bin/whohad.js', root).pathname, 'serve'], { REDIS_URL: server.url, PORT: '0', LOG_LEVEL: 'info' }, /whohad listening on (http:\/\/[^"\s]+)/);
    const r = rng(7);
    const span = shape.days * 86_400_000;
    const q = () =>
      `/v1/attribution?ip=${publicIpOf(Math.floor(r() * shape.publicIps))}&port=${1024 + Math.floor(r() * 64_512)}&at=${new Date(shape.start + Math.floor(r() * span)).toISOString()}&case=BENCH&legalBasis=court-order&purpose=benchmark`;
    const look = await cannon(svc.match[1], q, { authorization: `Bearer ${token}` });
    await stop(svc.proc);
    p50s.push(look.p50);
    rows.push({ figure: `look-ups at ${chains.entries.toLocaleString('en')} intervals`, value: look.rps, unit: 'req/s', target: '>= 50% of baseline', ok: look.rps >= 0.5 * base.rps, note: `${((look.rps / base.rps) * 100).toFixed(0)}% of baseline; p50 ${look.p50} ms, p99 ${look.p99} ms; ${look.errors} errors` });
    rows.push({ figure: `  p99 at ${chains.entries.toLocaleString('en')} intervals`, value: look.p99, unit: 'ms', target: '< 10', ok: look.p99 < 10 });
    void privateIpOf;
  }
  const growth = p50s[0] === 0 ? (p50s[1] === 0 ? 0 : Infinity) : (p50s[1] - p50s[0]) / p50s[0];
  rows.push({ figure: `p50 growth ${sizes[0].toLocaleString('en')} -> ${sizes[1].toLocaleString('en')}`, value: growth * 100, unit: '%', target: '<= 10% (autocannon ms are integers)', ok: growth <= 0.1, note: `p50 ${p50s.join(' ms -> ')} ms` });

  // ingest of a canonical file through the pipeline whohad ingest uses
  await redis.flushall();
  const file = `${dir}/events.ndjson`;
  const out = createWriteStream(file);
  let n = 0;
  const shape = shapeFor(ingestEvents / 2);
  for (const e of natEvents(shape)) {
    if (!out.write(`${JSON.stringify(eventToWire(e))}\n`)) await once(out, 'drain');
    if (++n >= ingestEvents) break;
  }
  out.end();
  await once(out, 'finish');
  const w = writer();
  const t0 = performance.now();
  const res = await parseStream({
    lines: linesOf(file), format: formatByName('canonical'), options: {}, context: { now: Date.now() }, file,
    onBatch: async (events) => void (await w.write(events)), onReject: (x) => { throw new Error(x.reason); },
  });
  const rate = res.events / ((performance.now() - t0) / 1000);
  rows.push({ figure: `ingest, canonical file (${res.events.toLocaleString('en')} events)`, value: rate, unit: 'events/s', target: '>= 150,000', ok: rate >= 150_000 });
} finally {
  await closeClient(redis);
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

const fmt = (v: number) => (v >= 100 ? Math.round(v).toLocaleString('en') : v.toFixed(1));
console.log(`\nwhohad bench${quick ? ' --quick' : ''}: ${new Date().toISOString()}, node ${process.version}, ${(await import('node:os')).cpus().length} cores`);
console.log(`${'figure'.padEnd(44)} ${'value'.padStart(12)} ${'unit'.padEnd(9)} ${'target'.padEnd(36)} met`);
for (const r of rows) {
  console.log(`${r.figure.padEnd(44)} ${fmt(r.value).padStart(12)} ${r.unit.padEnd(9)} ${r.target.padEnd(36)} ${r.ok === null ? '' : r.ok ? 'yes' : 'NO'}${r.note ? `  (${r.note})` : ''}`);
}
