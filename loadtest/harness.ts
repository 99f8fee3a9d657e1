/**
 * What every benchmark under loadtest/ shares: a row of the bench table, child processes that
 * say when they are ready, and a load run that also measures the CPU a request costs (on a
 * machine others share, requests/s moves with their load; CPU time a request much less).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import type { Redis } from 'ioredis';

/** One figure of `npm run bench`, with its target and whether it is met (null: a baseline or ratio). */
export interface BenchRow {
  figure: string;
  value: number;
  unit: string;
  target: string;
  ok: boolean | null;
  note?: string;
}

/** Node's flags for a service under load, as `npm start`, the image and the systemd unit run it. */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=32'];

/** Starts a process and resolves once a line of its stdout matches `ready`. */
export async function child(cmd: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ proc: ChildProcess; match: RegExpMatchArray }> {
  const proc = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  for await (const line of createInterface({ input: proc.stdout! })) {
    const m = line.match(ready);
    if (m) return { proc, match: m };
  }
  throw new Error(`${cmd} ${args.join(' ')} exited before it was ready`);
}

export async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  proc.kill('SIGTERM');
  await once(proc, 'exit');
}

/** CPU seconds a process has used (user + system), from /proc: ticks of 10 ms. */
export function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds redis-server has used (user + system), from INFO; any client of it will do. */
export async function redisCpu(redis: Pick<Redis, 'info'>): Promise<number> {
  const info = await redis.info('cpu');
  return Number(/used_cpu_user:([\d.]+)/.exec(info)![1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)![1]);
}

export interface LoadRun {
  rps: number;
  p50: number;
  p99: number;
  /** The median latency to the hundredth of a millisecond (autocannon's percentiles are whole ms). */
  p50Exact: number;
  errors: number;
  /** CPU a request, in µs: the server process's, and Redis's when a client of it is given. */
  nodeUs: number;
  redisUs: number;
}

/** Autocannon against `url` after a 2-second warm-up (JIT, script cache, connections). */
export async function cannon(url: string, path: () => string, o: { seconds: number; connections: number; pid: number; redis?: Redis; headers?: Record<string, string> }): Promise<LoadRun> {
  const opts = { url, connections: o.connections, pipelining: 1, headers: o.headers ?? {}, requests: [{ setupRequest: (req: any) => ({ ...req, path: path() }) }] };
  await autocannon({ ...opts, duration: 2 });
  const cpu0 = cpuOf(o.pid);
  const redis0 = o.redis ? await redisCpu(o.redis) : 0;
  const run = autocannon({ ...opts, duration: o.seconds });
  // autocannon's histogram keeps whole milliseconds: at a p50 of 7 ms one step is 14%, too coarse
  // for a 10% target, so the 2xx latencies (exact to the microsecond) are kept here as well
  const latencies: number[] = [];
  run.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300) latencies.push(ms);
  });
  const r = await run;
  const n = Math.max(1, r.requests.total);
  const nodeUs = ((cpuOf(o.pid) - cpu0) / n) * 1e6;
  const redisUs = o.redis ? (((await redisCpu(o.redis)) - redis0) / n) * 1e6 : 0;
  const sorted = Float64Array.from(latencies).sort();
  const p50Exact = sorted.length ? Math.round(sorted[Math.floor(sorted.length / 2)] * 100) / 100 : 0;
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, p50Exact, errors: r.errors + r.non2xx, nodeUs, redisUs };
}

/** The bench table as `npm run bench` prints it. */
export function printTable(rows: BenchRow[]): void {
  const fmt = (v: number) => (v >= 100 ? Math.round(v).toLocaleString('en') : v.toFixed(1));
  console.log(`${'figure'.padEnd(58)} ${'value'.padStart(10)} ${'unit'.padEnd(9)} ${'target'.padEnd(36)} met`);
  for (const r of rows) {
    console.log(`${r.figure.padEnd(58)} ${fmt(r.value).padStart(10)} ${r.unit.padEnd(9)} ${r.target.padEnd(36)} ${r.ok === null ? '' : r.ok ? 'yes' : 'NO'}${r.note ? `  (${r.note})` : ''}`);
  }
}
