/**
 * The Node cost of a single look-up: GET /v1/attribution against a bare Fastify hello world,
 * both started in this run, 100 connections, on the dev mix (ISO Z times, a port) and on a
 * realistic mix (naive local times with tz, offsets, Z, epoch seconds and milliseconds,
 * port-less queries, the repeated DST hour).
 *
 *   npx tsx loadtest/lookup-node-bench.ts [--seconds 10] [--intervals 20000] [--profile DIR] [--against TREE]
 *
 * `--profile DIR` starts the service under `node --cpu-prof` and leaves the profile in DIR.
 * `--against TREE` also measures the service of another source tree (an older commit unpacked
 * with `git archive`, this file copied into its loadtest/) in the same run, for a before/after.
 * Besides req/s, each row gives the service's CPU time per request (from /proc): on a machine
 * shared with other work, that is the figure that does not move with the neighbours' load.
 * Exported as `lookupNodeBench(opts)` returning the bench table's rows.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { defineCommands } from '../commands.js';
import { TokenStore } from '../audit/tokens.js';
import { closeClient, reportErrors } from '../redis/client.js';
import { startRedisServer } from '../redis/embedded.js';
import { ProfileDictionary } from '../timeindex/profiles.js';
import { IndexWriter } from '../timeindex/writer.js';
import { load } from './load.js';
import { DEFAULT_SHAPE, leaseEvents, natEvents, publicIpOf, rng, type IspShape } from './synthetic-isp.js';

export interface Row {
  figure: string;
  value: number;
  unit: string;
  target: string;
  ok: boolean | null;
  note?: string;
}

export interface LookupNodeBenchOptions {
  seconds?: number;
  intervals?: number;
  /** A directory for the service's CPU profile (node --cpu-prof). */
  profile?: string;
  /** Another source tree whose service is measured in the same run. */
  against?: string;
}

/** CPU time (user + system) a process has used, in µs; null where /proc is not there. */
function cpuMicros(pid: number | undefined): number | null {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1e6) / 100; // clock ticks of 1/100 s (USER_HZ)
  } catch {
    return null;
  }
}

const here = new URL('.', import.meta.url);
const tsx = ['--import', 'tsx'];

async function child(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ proc: ChildProcess; match: RegExpMatchArray }> {
  const proc = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! });
  for await (const line of lines) {
    const m = line.match(ready);
    if (m) return { proc, match: m };
  }
  throw new Error(`${args.join(' ')} exited before it was ready`);
}

async function stop(proc: ChildProcess) {
  if (proc.exitCode !== null) return;
  proc.kill('SIGTERM');
  await once(proc, 'exit');
}

async function cannon(url: string, path: () => string, seconds: number, headers: Record<string, string> = {}, pid?: number) {
  const opts = { url, connections: 100, pipelining: 1, headers, requests: [{ setupRequest: (req: any) => ({ ...req, path: path() }) }] };
  await autocannon({ ...opts, duration: 2 });
  const cpu0 = cpuMicros(pid);
  const r = await autocannon({ ...opts, duration: seconds });
  const cpu1 = cpuMicros(pid);
  // autocannon reports the total too (its declaration here names only what bench.ts reads)
  const total = (r.requests as { average: number; total?: number }).total ?? r.requests.average * seconds;
  const cpuPerReq = cpu0 === null || cpu1 === null ? NaN : (cpu1 - cpu0) / total;
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx, cpuPerReq };
}

const PURPOSE = 'case=BENCH&legalBasis=court-order&purpose=benchmark';

/** The dev mix of loadtest/bench.ts: a port and an ISO Z time. */
function devMix(shape: IspShape) {
  const r = rng(7);
  const span = shape.days * 86_400_000;
  return () => `/v1/attribution?ip=${publicIpOf(Math.floor(r() * shape.publicIps))}&port=${1024 + Math.floor(r() * 64_512)}&at=${new Date(shape.start + Math.floor(r() * span)).toISOString()}&${PURPOSE}`;
}

/** What investigators send: every time form, some without a port, some in the repeated hour. */
function realisticMix(shape: IspShape) {
  const r = rng(11);
  const span = shape.days * 86_400_000;
  const pad = (n: number) => String(n).padStart(2, '0');
  return () => {
    const ip = publicIpOf(Math.floor(r() * shape.publicIps));
    const port = r() < 0.15 ? '' : `&port=${1024 + Math.floor(r() * 64_512)}`;
    const ms = shape.start + Math.floor(r() * span);
    const d = new Date(ms);
    const kind = r();
    let at: string;
    if (kind < 0.35) at = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}&tz=Europe%2FCopenhagen`;
    else if (kind < 0.4) at = `2026-10-25T02:${pad(Math.floor(r() * 60))}:00&tz=Europe%2FCopenhagen`; // the repeated hour
    else if (kind < 0.55) at = encodeURIComponent(d.toISOString().replace('Z', '+02:00'));
    else if (kind < 0.75) at = d.toISOString();
    else if (kind < 0.9) at = String(Math.floor(ms / 1000));
    else at = String(ms);
    return `/v1/attribution?ip=${ip}${port}&at=${at}&${PURPOSE}`;
  };
}

export async function lookupNodeBench(o: LookupNodeBenchOptions = {}): Promise<Row[]> {
  const seconds = o.seconds ?? 10;
  const intervals = o.intervals ?? 20_000;
  const dir = `/tmp/whohad-lookup-bench-${process.pid}`;
  const server = await startRedisServer({ dir, appendonly: false });
  const redis = new Redis(server.url);
  reportErrors(redis);
  defineCommands(redis);
  const rows: Row[] = [];
  try {
    const days = 30;
    const shape: IspShape = { ...DEFAULT_SHAPE, days, publicIps: Math.max(1, Math.ceil(intervals / (63 * days * 3.1))), privateIps: Math.max(1, Math.ceil(intervals / (days * 1.1))) };
    const writer = () => new IndexWriter(redis, new ProfileDictionary(redis), { days: 36500, now: Date.now });
    await load(writer(), natEvents(shape));
    await load(writer(), leaseEvents(shape));
    const token = (await new TokenStore(redis).create('bench', ['investigator'])).token;

    const hello = await child([...tsx, new URL('hello-server.ts', here).pathname], {}, /^(http:\/\/\S+)$/);
    const base = await cannon(hello.match[1], () => '/', seconds, {}, hello.proc.pid);
    await stop(hello.proc);
    rows.push({ figure: 'hello-world baseline', value: base.rps, unit: 'req/s', target: '(baseline)', ok: null, note: `p99 ${base.p99} ms; ${base.cpuPerReq.toFixed(0)} µs CPU a request` });

    const prof = o.profile ? ['--cpu-prof', '--cpu-prof-dir', o.profile] : [];
    const env = { REDIS_URL: server.url, PORT: '0', LOG_LEVEL: 'info', WHOHAD_DATA_DIR: dir, WHOHAD_INSTANCE: 'bench' };
    const trees: Array<[string, string]> = [['', new URL('lookup-node-bench.ts', here).pathname]];
    if (o.against) trees.unshift([' (against)', `${o.against}/loadtest/lookup-node-bench.ts`]);
    for (const [name, mix] of [['dev mix', devMix], ['realistic mix', realisticMix]] as const) {
      for (const [label, entry] of trees) {
        const svc = await child([...prof, ...tsx, entry, '--serve'], env, /whohad listening on (http:\/\/[^"\s]+)/);
        const look = await cannon(svc.match[1], mix(shape), seconds, { authorization: `Bearer ${token}` }, svc.proc.pid);
        await stop(svc.proc);
        const ratio = look.rps / base.rps;
        rows.push({
          figure: `look-ups, ${name}${label}`, value: look.rps, unit: 'req/s', target: '>= 50% of baseline', ok: ratio >= 0.5,
          note: `${(ratio * 100).toFixed(0)}% of baseline; p50 ${look.p50} ms, p99 ${look.p99} ms; ${look.cpuPerReq.toFixed(0)} µs CPU a request (${(look.cpuPerReq / base.cpuPerReq).toFixed(2)}x hello); ${look.errors} errors`,
        });
      }
    }
  } finally {
    await closeClient(redis);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

const isMain = process.argv[1] && new URL(import.meta.url).pathname === process.argv[1];
if (isMain && process.argv.includes('--serve')) {
  const { main } = await import('../cli/main.js');
  await main([process.argv[0], 'whohad', 'serve']);
} else if (isMain) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const rows = await lookupNodeBench({ seconds: Number(arg('--seconds') ?? 10), intervals: Number(arg('--intervals') ?? 20_000), profile: arg('--profile'), against: arg('--against') });
  for (const r of rows) console.log(`${r.figure.padEnd(38)} ${Math.round(r.value).toLocaleString('en').padStart(10)} ${r.unit.padEnd(6)} ${r.target.padEnd(22)} ${r.ok === null ? '' : r.ok ? 'yes' : 'NO'}${r.note ? `  (${r.note})` : ''}`);
}
