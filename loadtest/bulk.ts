/**
 * Bulk resolution end to end: rows/s and peak RSS for a large CSV streamed through
 * `POST /v1/attribution/bulk`, against an index of port-block intervals and lease holdings
 * loaded through the real IndexWriter. Starts its own throw-away redis-server and the service
 * in this process (port 0); the CSV is generated on the fly and never held in memory.
 *
 * Usage: node dist/loadtest/bulk.js [rows=1000000] [intervals=1000000] [--keep DIR] [--baseline] [--floor]
 *   --keep DIR   keep the loaded index in DIR/dump.rdb and reuse it when the size matches
 *                (loading 1M intervals through the Lua merge scripts takes minutes)
 *   --baseline   first measure Resolver.resolve alone (same window, no HTTP, no CSV)
 *   --floor      answer every row with one ready-made answer instead of resolving it: what the
 *                route costs without the look-ups (HTTP, CSV in and out, order, summary, access
 *                log, this client), the ceiling no resolver can lift the route above
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { DEFAULT_WINDOW } from '../bulk/run.js';
import { connectRedis } from '../commands.js';
import { closeClient } from '../redis/client.js';
import { startRedisServer } from '../redis/embedded.js';
import { IndexReader } from '../timeindex/reader.js';
import { ProfileDictionary } from '../timeindex/profiles.js';
import { IndexWriter } from '../timeindex/writer.js';
import { normalisedOrThrow } from '../resolver/query.js';
import { Resolver } from '../resolver/resolve.js';
import { buildApp } from '../service/app.js';
import { loadConfig } from '../config.js';
import { load } from './load.js';
import { DEFAULT_SHAPE, leaseEvents, natEvents, publicIpOf, rng, type IspShape } from './synthetic-isp.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const positional = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1] === '--keep'));
const rows = Number(positional[0] ?? 1_000_000);
const targetIntervals = Number(positional[1] ?? 1_000_000);
const keep = option('--keep');

const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
const log = (s: string) => process.stderr.write(`${s}\n`);

// 256 addresses x 63 blocks over 30 days give about 3.1 intervals per block per day (as in
// loadtest/memory.ts); grow the addresses until the target is met. The leases cover the
// inside addresses the allocations name.
const natShape: IspShape = { ...DEFAULT_SHAPE, publicIps: Math.max(1, Math.ceil(targetIntervals / (63 * 30 * 3.1))), privateIps: Math.max(1000, Math.ceil(targetIntervals / 30)) };

const dir = keep ?? `/tmp/whohad-bulk-bench-${process.pid}`;
const server = await startRedisServer({ dir, appendonly: false });
const redis = connectRedis(server.url);
const profiles = new ProfileDictionary(redis);
const writer = new IndexWriter(redis, profiles, { days: 36500, now: Date.now });
/** The kept index is reused only for the same shape and the same index code (its Lua scripts). */
function luaDigest(dir: URL): string {
  const h = createHash('sha256');
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.isDirectory()) h.update(luaDigest(new URL(`${e.name}/`, dir)));
    else h.update(e.name).update(readFileSync(new URL(e.name, dir)));
  }
  return h.digest('hex');
}
const shapeTag = JSON.stringify({ natShape, index: luaDigest(new URL('../timeindex/lua/', import.meta.url)) });
if ((await redis.get('bench:shape')) === shapeTag) {
  log(`index: reusing ${dir}/dump.rdb (${natShape.publicIps} public addresses, ${natShape.privateIps} inside addresses)`);
} else {
  await redis.flushdb();
  let t = performance.now();
  const { events: natCount } = await load(writer, natEvents(natShape), 5000, 4);
  log(`index: ${natCount} NAT events in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  t = performance.now();
  const { events: leaseCount } = await load(writer, leaseEvents(natShape), 5000, 4);
  log(`index: ${leaseCount} lease events in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  await redis.set('bench:shape', shapeTag);
  if (keep) await redis.save();
}
let intervals = 0;
let cursor = '0';
do {
  const [next, keys] = await redis.scan(cursor, 'MATCH', 'a:*', 'COUNT', 5000);
  cursor = next;
  const p = redis.pipeline();
  for (const k of keys) p.zcard(k);
  for (const [, n] of (await p.exec()) ?? []) intervals += Number(n);
} while (cursor !== '0');
log(`index: ${intervals} stored port-block interval entries on ${natShape.publicIps} public addresses`);

/** Hits spread over the synthetic month: random address, port in a block, second. */
function* csvRows(n: number): Generator<string> {
  const r = rng(1234);
  const span = natShape.days * 86_400_000;
  let buf = 'id,ip,port,timestamp\n';
  for (let i = 1; i <= n; i++) {
    const ip = publicIpOf(Math.floor(r() * natShape.publicIps));
    const port = 1024 + Math.floor(r() * natShape.blocksPerIp * 1024);
    const at = new Date(natShape.start + Math.floor(r() * span / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    buf += `${i},${ip},${port},${at}\n`;
    if (buf.length > 64 * 1024) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}

if (flag('--baseline')) {
  const resolver = new Resolver(new IndexReader(redis), profiles, { toleranceS: 2, retentionDays: 36500, interimIntervalS: 86400, directVrf: 'default', now: Date.now });
  const r = rng(99);
  const n = Math.min(rows, 200_000);
  let i = 0;
  const t = performance.now();
  const worker = async () => {
    while (i++ < n) {
      await resolver.resolve(normalisedOrThrow({
        ip: publicIpOf(Math.floor(r() * natShape.publicIps)), port: 1024 + Math.floor(r() * natShape.blocksPerIp * 1024),
        at: new Date(natShape.start + Math.floor(r() * natShape.days * 86_400_000)).toISOString(),
      }));
    }
  };
  await Promise.all(Array.from({ length: DEFAULT_WINDOW }, worker));
  log(`baseline: Resolver.resolve alone, ${DEFAULT_WINDOW} in flight: ${Math.round(n / ((performance.now() - t) / 1000))} resolves/s over ${n}`);
}

const app = await buildApp({ config: loadConfig({ WHOHAD_RETENTION_DAYS: '36500' }), redis, logger: false });
if (flag('--floor')) {
  // a real unique answer with its evidence, asked once and handed to every row as it is
  const q = { ip: publicIpOf(0), port: 1024, at: new Date(natShape.start + 86_400_000).toISOString() };
  let ready = await app.resolver.resolve(normalisedOrThrow(q));
  for (let port = 1025; ready.status !== 'unique' && port < 1024 + natShape.blocksPerIp * 1024; port += 1024) ready = await app.resolver.resolve(normalisedOrThrow({ ...q, port }));
  app.resolver.resolve = async () => ready;
  log(`floor: every row answered with one ready-made ${ready.status} answer, nothing looked up`);
}
const url = await app.listen({ port: 0, host: '127.0.0.1' });
// an investigator's token and the purpose every bulk job states, as a real client sends them
const { token } = await app.tokens.create(`bulk-bench-${Date.now()}`, ['investigator']);
const purpose = new URLSearchParams({ case: 'BENCH', legalBasis: 'court-order', purpose: 'bulk benchmark' });

/** Seconds of CPU redis-server has used (INFO cpu): with the process's own, a figure a noisy VM does not swing. */
async function redisCpuS(): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

const rssSamples: number[] = [];
const sampler = setInterval(() => rssSamples.push(process.memoryUsage.rss()), 1000);
const cpu0 = process.cpuUsage();
const redisCpu0 = await redisCpuS();
const t0 = performance.now();
let firstByteMs = 0;
let outBytes = 0;
let outLines = 0;
const res = await new Promise<IncomingMessage>((ok, fail) => {
  const req = request(`${url}/v1/attribution/bulk?${purpose}`, { method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` } }, ok);
  req.on('error', fail);
  Readable.from(csvRows(rows), { objectMode: false }).pipe(req);
});
if (res.statusCode !== 200) throw new Error(`service answered ${res.statusCode}`);
let lastReport = 0;
for await (const chunk of res as AsyncIterable<Buffer>) {
  if (!firstByteMs) firstByteMs = performance.now() - t0;
  outBytes += chunk.length;
  for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) outLines++;
  if (outLines - lastReport >= 100_000) {
    lastReport = outLines;
    const s = (performance.now() - t0) / 1000;
    log(`  ${outLines - 1} rows, ${Math.round((outLines - 1) / s)} rows/s, rss ${mb(process.memoryUsage.rss() / 1024)}`);
  }
}
const secs = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const redisCpuUs = (await redisCpuS() - redisCpu0) * 1e6;
clearInterval(sampler);
const summary = JSON.parse(String(res.trailers['x-whohad-summary']));
const answered = outLines - 1;

await app.close();
await closeClient(redis);
await server.stop();
if (!keep) rmSync(dir, { recursive: true, force: true });
else if (!existsSync(`${dir}/dump.rdb`)) log(`(no dump.rdb in ${dir}: the index will be loaded again next time)`);

const peakKb = process.resourceUsage().maxRSS;
const mid = rssSamples.slice(Math.floor(rssSamples.length / 4));
console.log(JSON.stringify({
  rows, answered, seconds: Number(secs.toFixed(1)), rowsPerSecond: Math.round(answered / secs), firstRowAfterMs: Math.round(firstByteMs),
  peakRssMb: Math.round(peakKb / 1024),
  // CPU per row: this process (service and the benchmark's own client) and redis-server
  cpuUsPerRow: { node: Math.round((cpu.user + cpu.system) / answered), redis: Math.round(redisCpuUs / answered) },
  rssMbFrom25to100Percent: mid.length ? { min: Math.round(Math.min(...mid) / 2 ** 20), max: Math.round(Math.max(...mid) / 2 ** 20) } : null,
  outputMb: Math.round(outBytes / 2 ** 20), index: { intervalEntries: intervals, publicIps: natShape.publicIps, insideIps: natShape.privateIps },
  byStatus: summary.byStatus, subscribers: summary.subscribers,
}, null, 2));
if (answered !== rows) {
  log(`FAIL: ${rows} rows in, ${answered} out`);
  process.exitCode = 1;
}
