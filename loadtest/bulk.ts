/**
 * Bulk resolution end to end: rows/s, CPU per row (service, Redis, client) and the service's
 * RSS for a large CSV streamed through `POST /v1/attribution/bulk`, against an index of
 * port-block intervals and lease holdings loaded through the real IndexWriter. Starts its own
 * throw-away redis-server and the service in a process of its own (loadtest/bulk-service.ts);
 * this process is only the client: it generates the CSV on the fly and reads the answer.
 *
 * Usage: npx tsx loadtest/bulk.ts [rows=1000000] [intervals=1000000] [--keep DIR] [--floor] [--runs N] [--against DIR]
 *   --keep DIR     keep the loaded index in DIR/dump.rdb and reuse it when the size matches
 *                  (loading 1M intervals through the Lua merge scripts takes minutes)
 *   --floor        the service answers every row with one ready-made answer instead of resolving
 *                  it: what the route costs without the look-ups (HTTP, CSV in and out, order,
 *                  summary, access log), the ceiling no resolver can lift the route above
 *   --runs N       measure N times (default 1)
 *   --against DIR  also measure the service of another checkout (e.g. the main branch), each run
 *                  alternating with this one, against the same Redis with the same client
 * From code: `bulkBench(options)` returns the rows of the bench table.
 * WHOHAD_BENCH_CPU_PROF=DIR writes a CPU profile of each service process to DIR;
 * WHOHAD_BENCH_COMMANDSTATS=1 prints what Redis ran in each run, per command.
 */
import { redisCpu, SERVICE_NODE_FLAGS, type BenchRow } from './harness.js';
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { connectRedis } from '../commands.js';
import { closeClient } from '../redis/client.js';
import { startRedisServer } from '../redis/embedded.js';
import { ProfileDictionary } from '../timeindex/profiles.js';
import { IndexWriter } from '../timeindex/writer.js';
import { load } from './load.js';
import { DEFAULT_SHAPE, leaseEvents, natEvents, publicIpOf, rng, type IspShape } from './synthetic-isp.js';

export interface BulkBenchOptions {
  rows?: number;
  intervals?: number;
  keep?: string;
  floor?: boolean;
  runs?: number;
  /** Another checkout whose service is measured beside this one's. */
  against?: string;
  log?: (s: string) => void;
}


export interface BulkRun {
  service: string;
  rows: number;
  answered: number;
  seconds: number;
  rowsPerSecond: number;
  firstRowAfterMs: number;
  cpuUsPerRow: { service: number; redis: number; client: number };
  servicePeakRssMb: number;
  serviceRssMbFrom25to100Percent: { min: number; max: number } | null;
  byStatus: Record<string, number>;
}

const TARGET = 100_000;
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

/** Hits spread over the synthetic month: random address, port in a block, second. */
function* csvRows(n: number, shape: IspShape): Generator<string> {
  const r = rng(1234);
  const span = shape.days * 86_400_000;
  let buf = 'id,ip,port,timestamp\n';
  for (let i = 1; i <= n; i++) {
    const ip = publicIpOf(Math.floor(r() * shape.publicIps));
    const port = 1024 + Math.floor(r() * shape.blocksPerIp * 1024);
    const at = new Date(shape.start + Math.floor((r() * span) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    buf += `${i},${ip},${port},${at}\n`;
    if (buf.length > 64 * 1024) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}

/** Scripts that only read: changing them changes nothing stored, so a kept index stays good. */
const READING_SCRIPTS = /^(lookup|natStab|leaseStab)-/;

/** The kept index is reused only for the same shape and the same index code (its writing Lua scripts and their includes). */
function luaDigest(dir: URL): string {
  const h = createHash('sha256');
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.isDirectory()) h.update(luaDigest(new URL(`${e.name}/`, dir)));
    else if (!READING_SCRIPTS.test(e.name)) h.update(e.name).update(readFileSync(new URL(e.name, dir)));
  }
  return h.digest('hex');
}

async function startService(redisUrl: string, tree: string | undefined, floor: string | undefined) {
  const args = [redisUrl, ...(tree ? ['--tree', tree] : []), ...(floor ? ['--floor', floor] : [])];
  const child = fork(fileURLToPath(new URL(`./bulk-service${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url)), args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // WHOHAD_BENCH_CPU_PROF=DIR: a CPU profile of each service process, for `node --cpu-prof` reading
    execArgv: [...process.execArgv, ...SERVICE_NODE_FLAGS, ...(process.env.WHOHAD_BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.WHOHAD_BENCH_CPU_PROF] : [])],
  });
  const [hello] = (await once(child, 'message')) as [{ url: string; token: string }];
  const stats = async () => {
    child.send('stats');
    const [s] = (await once(child, 'message')) as [{ cpuUs: number; rss: number; peakKb: number }];
    return s;
  };
  const stop = async (c: ChildProcess) => {
    c.send('stop');
    if (c.exitCode === null) await once(c, 'exit');
  };
  return { ...hello, stats, stop: () => stop(child) };
}

async function oneRun(redis: ReturnType<typeof connectRedis>, redisUrl: string, shape: IspShape, rows: number, service: string, tree: string | undefined, floor: string | undefined, log: (s: string) => void): Promise<BulkRun> {
  const svc = await startService(redisUrl, tree, floor);
  const purpose = new URLSearchParams({ case: 'BENCH', legalBasis: 'court-order', purpose: 'bulk benchmark' });
  const rss: number[] = [];
  const sampler = setInterval(() => void svc.stats().then((s) => rss.push(s.rss), () => undefined), 1000);
  // WHOHAD_BENCH_COMMANDSTATS=1: what Redis ran during the run, per command (calls, µs a row)
  if (process.env.WHOHAD_BENCH_COMMANDSTATS) await redis.config('RESETSTAT');
  const svc0 = (await svc.stats()).cpuUs;
  const me0 = process.cpuUsage();
  const redis0 = await redisCpu(redis);
  const t0 = performance.now();
  let firstByteMs = 0;
  let outLines = 0;
  const res = await new Promise<IncomingMessage>((ok, fail) => {
    const req = request(`${svc.url}/v1/attribution/bulk?${purpose}`, { method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${svc.token}` } }, ok);
    req.on('error', fail);
    Readable.from(csvRows(rows, shape), { objectMode: false }).pipe(req);
  });
  if (res.statusCode !== 200) throw new Error(`service answered ${res.statusCode}`);
  for await (const chunk of res as AsyncIterable<Buffer>) {
    if (!firstByteMs) firstByteMs = performance.now() - t0;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) outLines++;
  }
  const secs = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const end = await svc.stats();
  const me = process.cpuUsage(me0);
  const redisUs = ((await redisCpu(redis)) - redis0) * 1e6;
  if (process.env.WHOHAD_BENCH_COMMANDSTATS) {
    for (const m of (await redis.info('commandstats')).matchAll(/^cmdstat_(\S+):calls=(\d+),usec=(\d+)/gm)) {
      log(`  ${m[1]}: ${m[2]} calls, ${(Number(m[3]) / rows).toFixed(2)} µs a row`);
    }
  }
  await svc.stop();
  const summary = JSON.parse(String(res.trailers['x-whohad-summary']));
  const answered = outLines - 1;
  const mid = rss.slice(Math.floor(rss.length / 4));
  const run: BulkRun = {
    service, rows, answered, seconds: Number(secs.toFixed(1)), rowsPerSecond: Math.round(answered / secs), firstRowAfterMs: Math.round(firstByteMs),
    cpuUsPerRow: { service: Number(((end.cpuUs - svc0) / answered).toFixed(1)), redis: Number((redisUs / answered).toFixed(1)), client: Number(((me.user + me.system) / answered).toFixed(1)) },
    servicePeakRssMb: Math.round(end.peakKb / 1024),
    serviceRssMbFrom25to100Percent: mid.length ? { min: mb(Math.min(...mid)), max: mb(Math.max(...mid)) } : null,
    byStatus: summary.byStatus,
  };
  log(JSON.stringify(run));
  if (answered !== rows) throw new Error(`${service}: ${rows} rows in, ${answered} out`);
  return run;
}

/** The synthetic ISP of about `intervals` stored port-block intervals. */
export function benchShape(intervals: number): IspShape {
  // 256 addresses x 63 blocks over 30 days give about 3.1 intervals per block per day (as in
  // loadtest/memory.ts); grow the addresses until the target is met. The leases cover the
  // inside addresses the allocations name.
  return { ...DEFAULT_SHAPE, publicIps: Math.max(1, Math.ceil(intervals / (63 * 30 * 3.1))), privateIps: Math.max(1000, Math.ceil(intervals / 30)) };
}

/**
 * A throw-away redis-server holding the benchmark's index: loaded through the IndexWriter, or
 * taken from `keep`/dump.rdb when that holds the same shape written by the same scripts.
 */
export async function benchIndex(intervals: number, keep: string | undefined, log: (s: string) => void) {
  const shape = benchShape(intervals);
  const dir = keep ?? `/tmp/whohad-bulk-bench-${process.pid}`;
  const server = await startRedisServer({ dir, appendonly: false });
  const redis = connectRedis(server.url);
  const close = async () => {
    await closeClient(redis);
    await server.stop();
    if (!keep) rmSync(dir, { recursive: true, force: true });
    else if (!existsSync(`${dir}/dump.rdb`)) log(`(no dump.rdb in ${dir}: the index will be loaded again next time)`);
  };
  try {
    const shapeTag = JSON.stringify({ natShape: shape, index: luaDigest(new URL('../timeindex/lua/', import.meta.url)) });
    if ((await redis.get('bench:shape')) === shapeTag) log(`index: reusing ${dir}/dump.rdb`);
    else {
      await redis.flushdb();
      const writer = new IndexWriter(redis, new ProfileDictionary(redis), { days: 36500, now: Date.now });
      await load(writer, natEvents(shape), 5000, 4);
      await load(writer, leaseEvents(shape), 5000, 4);
      await redis.set('bench:shape', shapeTag);
      if (keep) await redis.save();
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { server, redis, shape, close };
}

/** Runs the benchmark; every run's figures, and the rows of the bench table. */
export async function bulkBench(o: BulkBenchOptions = {}): Promise<{ runs: BulkRun[]; table: BenchRow[] }> {
  const rows = o.rows ?? 1_000_000;
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const { server, redis, shape, close } = await benchIndex(o.intervals ?? 1_000_000, o.keep, log);
  try {
    const floor = o.floor ? JSON.stringify([publicIpOf(0), new Date(shape.start + 86_400_000).toISOString(), shape.blocksPerIp * 1024]) : undefined;
    const runs: BulkRun[] = [];
    for (let i = 0; i < (o.runs ?? 1); i++) {
      runs.push(await oneRun(redis, server.url, shape, rows, 'this', undefined, floor, log));
      if (o.against) runs.push(await oneRun(redis, server.url, shape, rows, o.against, o.against, floor, log));
    }
    const mine = runs.filter((r) => r.service === 'this');
    const best = mine.reduce((a, b) => (b.rowsPerSecond > a.rowsPerSecond ? b : a));
    const table: BenchRow[] = [{
      figure: `bulk ${rows.toLocaleString('en')} rows${o.floor ? ' (floor: no look-ups)' : ''}`,
      value: best.rowsPerSecond, unit: 'rows/s', target: `>= ${TARGET.toLocaleString('en')}`, ok: best.rowsPerSecond >= TARGET,
      note: `best of ${mine.length}; CPU a row: service ${best.cpuUsPerRow.service} µs, Redis ${best.cpuUsPerRow.redis} µs; service RSS peak ${best.servicePeakRssMb} MB`,
    }];
    if (o.against) {
      const theirs = runs.filter((r) => r.service !== 'this');
      const other = theirs.reduce((a, b) => (b.rowsPerSecond > a.rowsPerSecond ? b : a));
      table.push({ figure: `  vs ${o.against}`, value: Number((best.rowsPerSecond / other.rowsPerSecond).toFixed(2)), unit: 'x', target: '(ratio, same run)', ok: null, note: `${other.rowsPerSecond} rows/s there` });
    }
    return { runs, table };
  } finally {
    await close();
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('loadtest/bulk.ts') || process.argv[1]?.endsWith('loadtest/bulk.js')) {
  const args = process.argv.slice(2);
  const option = (name: string) => {
    const i = args.indexOf(name);
    return i === -1 ? undefined : args[i + 1];
  };
  const valued = new Set(['--keep', '--runs', '--against']);
  const positional = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && valued.has(args[i - 1])));
  const out = await bulkBench({
    rows: Number(positional[0] ?? 1_000_000), intervals: Number(positional[1] ?? 1_000_000), keep: option('--keep'), floor: args.includes('--floor'),
    runs: Number(option('--runs') ?? 1), against: option('--against'),
  });
  console.log(JSON.stringify(out, null, 2));
}
