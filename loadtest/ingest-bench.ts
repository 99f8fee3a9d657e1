/**
 * Ingest throughput through the real pipeline (line reader → parser → store queue → IndexWriter →
 * Lua merge), before and after in the same run: "per-address" is one script call per address with
 * each batch awaited before the next is read; "batched" is the single-Redis path (many addresses
 * a call, packed arguments, the raw fast path) with the next batch parsed while Redis stores the
 * last. Two inputs: a canonical NDJSON file of N events spread over at least 10,000 public
 * addresses, and a Juniper PBA syslog file (parse/formats/juniper-pba.ts) of N lines.
 *   npx tsx loadtest/ingest-bench.ts [events=1000000] [runs=2]
 * or `import { ingestBench } from './ingest-bench.js'` and `await ingestBench({ events, runs })`.
 */
import type { BenchRow } from './harness.js';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { defineCommands } from '../commands.js';
import { eventToWire } from '../events/wire.js';
import type { NatEvent } from '../events/schema.js';
import { linesOf, parseStream } from '../intake/pipeline.js';
import { storeEvents } from '../intake/store-queue.js';
import { formatByName } from '../parse/registry.js';
import { closeClient, reportErrors } from '../redis/client.js';
import { startRedisServer } from '../redis/embedded.js';
import { ProfileDictionary } from '../timeindex/profiles.js';
import { IndexWriter } from '../timeindex/writer.js';
import { DEFAULT_SHAPE, natEvents, type IspShape } from './synthetic-isp.js';

export type Row = BenchRow;

export interface IngestBenchOptions {
  /** Events of the canonical file and lines of the Juniper file; default 1,000,000. */
  events?: number;
  /** Runs of each path on each file (alternating, best kept); default 2. */
  runs?: number;
  /** Public addresses the events are spread over; default 10,240. */
  addresses?: number;
}

/** A shape of at least `events` events over `addresses` public IPs: 8 blocks each, about 6 events a block a day. */
function shapeFor(events: number, addresses: number): IspShape {
  const days = Math.max(1, Math.ceil((1.3 * events) / (addresses * 8 * 6)));
  return { ...DEFAULT_SHAPE, publicIps: addresses, blocksPerIp: 8, days, privateIps: 200_000 };
}

/** The first `n` events of the shape, each written as a line of every file (one pass over the generator). */
async function writeFiles(n: number, events: Iterable<NatEvent>, files: Array<{ path: string; line: (e: NatEvent) => string }>): Promise<void> {
  const outs = files.map((f) => ({ ...f, out: createWriteStream(f.path), chunk: '' }));
  let i = 0;
  for (const e of events) {
    if (i++ >= n) break;
    for (const o of outs) {
      o.chunk += `${o.line(e)}\n`;
      if (o.chunk.length > 1 << 20) {
        if (!o.out.write(o.chunk)) await once(o.out, 'drain');
        o.chunk = '';
      }
    }
  }
  for (const o of outs) {
    o.out.end(o.chunk);
    await once(o.out, 'finish');
  }
}

/** A Juniper SRX PBA record of the event, as the device logs it over RFC 5424 syslog. */
function juniperLine(e: NatEvent): string {
  const tag = e.event === 'alloc' ? 'RT_SRC_NAT_PBA_ALLOC' : 'RT_SRC_NAT_PBA_RELEASE';
  return `<14>1 ${new Date(e.at).toISOString()} srx-cgn-1 RT_NAT - ${tag} [junos@2636.1.1.1.2.129 internal-ip="${e.privateIp}" block-used="1" block-max-per-host="8" ` +
    `block-port-low="${e.portStart}" block-port-high="${e.portEnd}" reflexive-ip="${e.publicIp}" nat-pool-name="cgn-pool" logical-system-id="0" epoch-time-64="${Math.floor(e.at / 1000).toString(16)}"]`;
}

type Path = 'per-address' | 'batched';

/** Microseconds Redis spent in the merge scripts since the last reset (INFO commandstats: EVALSHA includes the commands its script runs). */
async function redisUsec(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  return Number(/cmdstat_evalsha:calls=\d+,usec=(\d+)/.exec(info)?.[1] ?? 0);
}

async function runOnce(redis: Redis, file: string, format: string, path: Path): Promise<{ rate: number; events: number; lines: number; redisUsPerEvent: number }> {
  await redis.flushall();
  await redis.config('RESETSTAT');
  const writer = new IndexWriter(redis, new ProfileDictionary(redis), { days: 36_500, now: Date.now }, { perAddress: path === 'per-address' });
  const t0 = performance.now();
  const r = await parseStream({
    lines: linesOf(file), format: formatByName(format), options: {}, context: { now: Date.now() }, file,
    overlap: path === 'batched',
    onBatch: async (events) => {
      const out = await storeEvents((e) => writer.write(e), events, null, {
        onRefused: (p, f) => {
          throw new Error(`event ${p} refused: ${f.reason}`);
        },
      });
      if (out.left.length > 0) throw new Error(`Redis did not take ${out.left.length} events: ${out.error}`);
    },
    onReject: (x) => {
      throw new Error(`${x.file}:${x.line}: ${x.reason}`);
    },
  });
  const s = (performance.now() - t0) / 1000;
  const redisUsPerEvent = (await redisUsec(redis)) / r.events;
  return { rate: (format === 'canonical' ? r.events : r.lines) / s, events: r.events, lines: r.lines, redisUsPerEvent };
}

export async function ingestBench(o: IngestBenchOptions = {}): Promise<Row[]> {
  const n = o.events ?? 1_000_000;
  const runs = o.runs ?? 2;
  const addresses = o.addresses ?? 10_240;
  const dir = `/tmp/whohad-ingest-bench-${process.pid}`;
  mkdirSync(dir, { recursive: true });
  const server = await startRedisServer({ dir, appendonly: false });
  const redis = new Redis(server.url);
  reportErrors(redis);
  defineCommands(redis);
  const rows: Row[] = [];
  try {
    const canonical = `${dir}/events.ndjson`;
    const juniper = `${dir}/juniper-pba.log`;
    const shape = shapeFor(n, addresses);
    await writeFiles(n, natEvents(shape), [
      { path: canonical, line: (e) => JSON.stringify(eventToWire(e)) },
      { path: juniper, line: juniperLine },
    ]);
    for (const [label, file, format, unit, target, goal] of [
      [`ingest, canonical file over ${addresses.toLocaleString('en')} addresses`, canonical, 'canonical', 'events/s', '>= 150,000', 150_000],
      ['ingest, Juniper PBA device file', juniper, 'juniper-pba', 'lines/s', '>= 100,000', 100_000],
    ] as const) {
      const best: Record<Path, number> = { 'per-address': 0, batched: 0 };
      const redisUs: Record<Path, number> = { 'per-address': Infinity, batched: Infinity };
      let count = 0;
      for (let i = 0; i < runs; i++) {
        for (const path of ['per-address', 'batched'] as const) {
          const r = await runOnce(redis, file, format, path);
          best[path] = Math.max(best[path], r.rate);
          redisUs[path] = Math.min(redisUs[path], r.redisUsPerEvent);
          count = format === 'canonical' ? r.events : r.lines;
        }
      }
      const ratio = best.batched / best['per-address'];
      rows.push({ figure: `${label} (${count.toLocaleString('en')}), before`, value: best['per-address'], unit, target: 'per-address path, each batch awaited', ok: null, note: `merge scripts ${redisUs['per-address'].toFixed(1)} µs an event in Redis` });
      rows.push({ figure: `${label} (${count.toLocaleString('en')})`, value: best.batched, unit, target, ok: best.batched >= goal, note: `${ratio.toFixed(2)}x the per-address path in this run, best of ${runs}; merge scripts ${redisUs.batched.toFixed(1)} µs an event in Redis` });
    }
  } finally {
    await closeClient(redis);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] && new URL(import.meta.url).pathname.endsWith(process.argv[1].replace(/^.*\/loadtest\//, '/loadtest/'))) {
  const rows = await ingestBench({ events: Number(process.argv[2] ?? 1_000_000), runs: Number(process.argv[3] ?? 2) });
  const fmt = (v: number) => (v >= 100 ? Math.round(v).toLocaleString('en') : v.toFixed(2));
  for (const r of rows) console.log(`${r.figure.padEnd(66)} ${fmt(r.value).padStart(10)} ${r.unit.padEnd(9)} ${r.target.padEnd(38)} ${r.ok === null ? '' : r.ok ? 'yes' : 'NO'}${r.note ? `  (${r.note})` : ''}`);
}
