/**
 * Single look-ups through the real service (`whohad serve`: token, both hops, access-log record)
 * under autocannon, 100 connections, beside a bare Fastify hello world measured in the same run.
 * Two query mixes over a synthetic ISP around the night Copenhagen repeats 02:00-03:00:
 * - dev: ISO `Z` times, a port, random addresses (as `npm run bench` asks);
 * - realistic: what investigators paste from server logs: local times with `tz` (the repeated
 *   DST hour among them), offsets, `Z`, epoch seconds and milliseconds, a tenth without a port.
 * Each service to compare (`--service PATH` to a compiled cli/main.js, repeatable; default this
 * checkout) is measured on both mixes in turn, so old and new share the run and its noise.
 *   npx tsx loadtest/lookup-bench.ts [--seconds 10] [--ips 64] [--floors] [--profile DIR] [--service /tmp/old/dist/cli/main.js]...
 * `--profile DIR` starts each service under `node --cpu-prof` and leaves its profile in DIR.
 * `--floors` also measures the route around the look-up (`routeFloors`).
 * or from code: `lookupBench({ seconds, services })` returns the bench table's rows.
 */
import { rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { IANAZone } from 'luxon';
import { TokenStore } from '../audit/tokens.js';
import { defineCommands } from '../commands.js';
import { closeClient } from '../redis/client.js';
import { startRedisServer } from '../redis/embedded.js';
import { ProfileDictionary } from '../timeindex/profiles.js';
import { IndexWriter } from '../timeindex/writer.js';
import { cannon, child, printTable, SERVICE_NODE_FLAGS, stop, type BenchRow } from './harness.js';
import { census, load } from './load.js';
import { DEFAULT_SHAPE, leaseEvents, natEvents, publicIpOf, rng, type IspShape } from './synthetic-isp.js';

export interface LookupBenchOptions {
  seconds?: number;
  connections?: number;
  /** Public addresses of the synthetic ISP (63 blocks each, two days, about 380 intervals each). */
  publicIps?: number;
  /** Compiled cli/main.js of each service to measure; default this checkout's. */
  services?: string[];
  /** Also measure the route's floor (routeFloors): a ready-made answer, with and without the access log. */
  floors?: boolean;
  /** A directory for each service's CPU profile (node --cpu-prof), to see where a look-up's time goes. */
  profile?: string;
}

const H = 3_600_000;
const DST_NIGHT = Date.UTC(2026, 9, 24);
const pad = (n: number) => String(n).padStart(2, '0');

/** Copenhagen's wall clock at an instant and its offset in hours (the shapes span both DST changes). */
const COPENHAGEN = IANAZone.create('Europe/Copenhagen');
const copenhagen = (ms: number) => {
  const offset = COPENHAGEN.offset(ms) / 60;
  return { local: new Date(ms + offset * H).toISOString().slice(0, 19), offset };
};

const TAIL = '&case=BENCH-1&legalBasis=court-order&purpose=benchmark';

export function devMix(shape: IspShape, seed = 7): () => string {
  const r = rng(seed);
  const span = shape.days * 86_400_000;
  return () => `/v1/attribution?ip=${publicIpOf(Math.floor(r() * shape.publicIps))}&port=${1024 + Math.floor(r() * shape.blocksPerIp * 1024)}&at=${new Date(shape.start + Math.floor(r() * span)).toISOString()}${TAIL}`;
}

export function realisticMix(shape: IspShape, seed = 11): () => string {
  const r = rng(seed);
  const span = shape.days * 86_400_000;
  return () => {
    const ip = publicIpOf(Math.floor(r() * shape.publicIps));
    const port = r() < 0.1 ? '' : `&port=${1024 + Math.floor(r() * shape.blocksPerIp * 1024)}`;
    const form = r();
    let ms = shape.start + Math.floor(r() * span);
    let at: string;
    if (form < 0.05) {
      // the repeated hour: both instants
      at = encodeURIComponent(`2026-10-25T02:${pad(Math.floor(r() * 60))}:${pad(Math.floor(r() * 60))}`) + '&tz=Europe/Copenhagen';
    } else if (form < 0.35) {
      ms -= ms % 1000;
      at = encodeURIComponent(copenhagen(ms).local.replace('T', ' ')) + '&tz=Europe/Copenhagen';
    } else if (form < 0.55) {
      const c = copenhagen(ms);
      at = encodeURIComponent(`${c.local}+${pad(c.offset)}:00`);
    } else if (form < 0.75) at = new Date(ms).toISOString().replace('.000Z', 'Z');
    else if (form < 0.9) at = String(Math.floor(ms / 1000));
    else at = String(ms);
    return `/v1/attribution?ip=${ip}${port}&at=${at}&tolerance=${r() < 0.5 ? 2 : 30}${TAIL}`;
  };
}

const here = fileURLToPath(import.meta.url);
const self = (file: string) => new URL(`./${file}${here.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).pathname;

/**
 * The route's floor on the dev mix (loadtest/lookup-floor-service.ts): one ready-made answer for
 * every look-up with its access-log record written, then without the record. Beside the hello
 * world of the same run they say how much of the target the route leaves a resolver at all.
 */
export async function routeFloors(o: { redis: Redis; redisUrl: string; token: string; shape: IspShape; seconds: number; base: { rps: number; nodeUs: number } }): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const at = new Date(o.shape.start + 86_400_000).toISOString();
  for (const [name, extra] of [['ready-made answer, access log written', []], ['ready-made answer, no access log', ['--no-access-log']]] as const) {
    const svc = await child(process.execPath, [...process.execArgv, ...SERVICE_NODE_FLAGS, self('lookup-floor-service'), publicIpOf(0), at, ...extra], { REDIS_URL: o.redisUrl }, /whohad listening on (http:\/\/[^"\s]+)/);
    const run = await cannon(svc.match[1], devMix(o.shape), { seconds: o.seconds, connections: 100, pid: svc.proc.pid!, redis: o.redis, headers: { authorization: `Bearer ${o.token}` } });
    await stop(svc.proc);
    rows.push({ figure: `  route floor: ${name}`, value: run.rps, unit: 'req/s', target: '(ceiling for a look-up)', ok: null, note: `${((run.rps / o.base.rps) * 100).toFixed(0)}% of baseline; p99 ${run.p99} ms; CPU a request: service ${run.nodeUs.toFixed(0)} µs (hello world ${o.base.nodeUs.toFixed(0)}), Redis ${run.redisUs.toFixed(0)} µs` });
  }
  return rows;
}

export async function lookupBench(o: LookupBenchOptions = {}): Promise<BenchRow[]> {
  const seconds = o.seconds ?? 10;
  const connections = o.connections ?? 100;
  const services = o.services?.length ? o.services : [fileURLToPath(new URL(`../cli/main${here.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url))];
  const shape: IspShape = { ...DEFAULT_SHAPE, publicIps: o.publicIps ?? 64, days: 2, privateIps: 5000, start: DST_NIGHT };
  const dir = `/tmp/whohad-lookup-bench-${process.pid}`;
  const server = await startRedisServer({ dir, appendonly: false });
  const redis = new Redis(server.url);
  defineCommands(redis);
  const rows: BenchRow[] = [];
  try {
    const writer = () => new IndexWriter(redis, new ProfileDictionary(redis), { days: 36500, now: Date.now });
    await load(writer(), natEvents(shape));
    await load(writer(), leaseEvents(shape));
    const intervals = (await census(redis, 'a:*')).entries;
    const { token } = await new TokenStore(redis).create('bench', ['investigator']);
    const hello = await child(process.execPath, [...process.execArgv, self('hello-server')], {}, /^(http:\/\/\S+)$/);
    const base = await cannon(hello.match[1], () => '/', { seconds, connections, pid: hello.proc.pid! });
    await stop(hello.proc);
    rows.push({ figure: 'hello-world baseline', value: base.rps, unit: 'req/s', target: '(baseline)', ok: null, note: `p99 ${base.p99} ms; ${base.nodeUs.toFixed(0)} µs CPU a request` });
    for (const [s, main] of services.entries()) {
      const name = services.length > 1 ? ` [${s}: ${main.replace(/\/cli\/main\.[jt]s$/, '')}]` : '';
      for (const [mix, path] of [['dev', devMix(shape)], ['realistic', realisticMix(shape)]] as const) {
        const svc = await child(
          process.execPath,
          [...process.execArgv, ...SERVICE_NODE_FLAGS, ...(o.profile ? ['--cpu-prof', '--cpu-prof-dir', o.profile] : []), here, '--serve', main],
          { REDIS_URL: server.url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', WHOHAD_RETENTION_DAYS: '36500' },
          /whohad listening on (http:\/\/[^"\s]+)/,
        );
        const look = await cannon(svc.match[1], path, { seconds, connections, pid: svc.proc.pid!, redis, headers: { authorization: `Bearer ${token}` } });
        await stop(svc.proc);
        const share = look.rps / base.rps;
        rows.push({ figure: `look-ups, ${mix} mix${name}`, value: look.rps, unit: 'req/s', target: '>= 50% of baseline', ok: share >= 0.5, note: `${(share * 100).toFixed(0)}% of baseline; p50 ${look.p50Exact} ms, p99 ${look.p99} ms; ${look.errors} errors; ${intervals.toLocaleString('en')} intervals` });
        rows.push({ figure: `  p99, ${mix} mix${name}`, value: look.p99, unit: 'ms', target: '< 10', ok: look.p99 < 10 });
        rows.push({ figure: `  service CPU a look-up, ${mix} mix${name}`, value: look.nodeUs, unit: 'µs', target: '(hello world ' + base.nodeUs.toFixed(0) + ')', ok: null });
        rows.push({ figure: `  Redis CPU a look-up, ${mix} mix${name}`, value: look.redisUs, unit: 'µs', target: '', ok: null });
      }
    }
    if (o.floors) rows.push(...(await routeFloors({ redis, redisUrl: server.url, token, shape, seconds, base })));
  } finally {
    await closeClient(redis);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

const args = process.argv.slice(2);
if (process.argv[1] === here && args[0] === '--serve') {
  // a service child: the compiled (or, under tsx, source) CLI of the checkout being measured
  const { main } = (await import(pathToFileURL(args[1]).href)) as { main: (argv: string[]) => Promise<void> };
  await main(['node', 'whohad', 'serve']);
} else if (process.argv[1] === here) {
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const services = args.flatMap((a, i) => (a === '--service' ? [args[i + 1]] : []));
  const profileAt = args.indexOf('--profile');
  printTable(await lookupBench({ floors: args.includes('--floors'), seconds: opt('--seconds'), connections: opt('--connections'), publicIps: opt('--ips'), services, profile: profileAt >= 0 ? args[profileAt + 1] : undefined }));
}
