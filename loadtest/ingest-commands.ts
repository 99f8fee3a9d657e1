/**
 * What an event costs Redis in commands, as Redis itself sees it: MONITOR lists every command a
 * script runs. A sample of NAT events (with an interim after each allocation) and lease events
 * is written twice: once in the writer's own batches (the total a real feed pays), once an event
 * a call, so that each command belongs to one event and is counted by the event's kind and the
 * path that merged it (raw: one read of the chain's tail; fast: the raw path declined and the
 * tail was read again; general: anything more).
 *   npx tsx loadtest/ingest-commands.ts [events=20000] [addresses=1000] [seconds]
 * or `import { ingestCommands } from './ingest-commands.js'`.
 */
import { Redis } from 'ioredis';
import { defineCommands } from '../commands.js';
import type { CanonicalEvent, NatEvent } from '../events/schema.js';
import { closeClient } from '../redis/client.js';
import { startRedisServer } from '../redis/embedded.js';
import { ProfileDictionary } from '../timeindex/profiles.js';
import { IndexWriter } from '../timeindex/writer.js';
import { DEFAULT_SHAPE, leaseEvents, natEvents } from './synthetic-isp.js';

export interface CommandCount {
  kind: string;
  path: string;
  events: number;
  /** Commands run by the script, per event, by command name. */
  perEvent: Record<string, number>;
  total: number;
}

type Seen = Array<{ source: string; args: string[] }>;

async function monitored(redis: Redis, work: () => Promise<void>): Promise<Seen> {
  const monitor = await redis.monitor();
  const seen: Seen = [];
  const marker = `end-${Math.random()}`;
  const ended = new Promise<void>((done) => {
    monitor.on('monitor', (_t: string, args: string[], source: string) => {
      if (args[0].toLowerCase() === 'echo' && args[1] === marker) return done();
      seen.push({ source: source === 'lua' ? 'lua' : 'client', args: args.map((a) => a.toLowerCase()) });
    });
  });
  await work();
  await redis.echo(marker);
  await ended;
  monitor.disconnect();
  return seen;
}

/** `seconds`: times cut to whole seconds, as a device file's epoch (Juniper's epoch-time-64) has them. */
function sample(events: number, addresses: number, seconds: boolean): CanonicalEvent[] {
  const shape = { ...DEFAULT_SHAPE, publicIps: addresses, blocksPerIp: 8, days: 2, privateIps: 2000 };
  const nat: CanonicalEvent[] = [];
  for (let e of natEvents(shape)) {
    if (nat.length >= (events * 3) / 4) break;
    if (seconds) e = { ...e, at: Math.floor(e.at / 1000) * 1000 };
    nat.push(e);
    // an interim a minute after each allocation (a release comes much later)
    if (e.event === 'alloc') nat.push({ ...e, event: 'interim', at: e.at + 60_000 } as NatEvent);
  }
  nat.sort((a, b) => a.at - b.at);
  const lease: CanonicalEvent[] = [];
  for (const e of leaseEvents({ ...shape, days: 4 })) {
    if (lease.length >= events / 4) break;
    lease.push(e);
  }
  return [...nat, ...lease];
}

function kindOf(e: CanonicalEvent): string {
  return e.kind === 'nat' ? `nat ${e.event}` : `lease ${e.event}`;
}

export async function ingestCommands(events = 20_000, addresses = 1000, seconds = false): Promise<{ batched: { events: number; commands: Record<string, number> }; rows: CommandCount[] }> {
  const dir = `/tmp/whohad-ingest-commands-${process.pid}`;
  const server = await startRedisServer({ dir, appendonly: false });
  const redis = new Redis(server.url);
  defineCommands(redis);
  try {
    const all = sample(events, addresses, seconds);
    const newWriter = () => new IndexWriter(redis, new ProfileDictionary(redis), { days: 36_500, now: Date.now });
    // the real batches: what a feed pays in total
    let w = newWriter();
    const seen = await monitored(redis, async () => {
      for (let i = 0; i < all.length; i += 1000) {
        const out = await w.write(all.slice(i, i + 1000));
        if (out.failed.length) throw new Error(JSON.stringify(out.failed[0]));
      }
    });
    const batched: Record<string, number> = {};
    for (const s of seen) if (s.source === 'lua') batched[s.args[0]] = (batched[s.args[0]] ?? 0) + 1 / all.length;
    // an event a call: each command belongs to one event
    await redis.flushall();
    w = newWriter();
    const perEvent: Array<{ kind: string; cmds: string[][] }> = [];
    const seen1 = await monitored(redis, async () => {
      for (const e of all) {
        const out = await w.write([e]);
        if (out.failed.length) throw new Error(JSON.stringify(out.failed[0]));
      }
    });
    let cur: string[][] | null = null;
    let i = 0;
    for (const s of seen1) {
      if (s.source !== 'lua') {
        // a merge call names the registry (NAT) or lease meta first; other scripts (profile ids) do not
        if ((s.args[0] === 'evalsha' || s.args[0] === 'eval') && /^(r|lm):/.test(s.args[3] ?? '')) {
          cur = [];
          perEvent.push({ kind: kindOf(all[i++]), cmds: cur });
        }
        continue;
      }
      if (cur) cur.push(s.args);
    }
    const groups = new Map<string, { n: number; counts: Record<string, number> }>();
    for (const p of perEvent) {
      // the meta read is once per address per call, counted apart
      const cmds = p.cmds.filter((c) => !(c[0] === 'hmget'));
      const tails = cmds.filter((c) => c[0] === 'zrange' && c.includes('rev')).length;
      const reads = cmds.filter((c) => c[0] === 'zrange' || c[0] === 'zscore').length;
      const registered = cmds.some((c) => c[0] === 'zadd' && c[1].startsWith('r:'));
      const firstBounds = cmds.some((c) => c[0] === 'hset' && c[2] === 'lo');
      // first: a chain's first entry written without reading the chain (at most the raw path's probe of the tail)
      const path = cmds.length === 0 ? 'none' : reads <= tails && tails <= 1 && (registered || (firstBounds && tails === 0)) ? 'first' : reads === 1 && tails === 1 ? 'raw' : reads === 2 && tails === 2 ? 'fast' : 'general';
      const key = `${p.kind}|${path}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { n: 0, counts: {} }));
      g.n++;
      for (const c of p.cmds) {
        const name = c[0] === 'zadd' && c[1].startsWith('r:') ? 'zadd registry' : c[0] === 'hset' ? `hset ${c[2]}` : c[0];
        g.counts[name] = (g.counts[name] ?? 0) + 1;
      }
    }
    const rows: CommandCount[] = [...groups].sort().map(([key, g]) => {
      const [kind, path] = key.split('|');
      const perEventCounts: Record<string, number> = {};
      let total = 0;
      for (const [k, v] of Object.entries(g.counts)) {
        perEventCounts[k] = v / g.n;
        total += v / g.n;
      }
      return { kind, path, events: g.n, perEvent: perEventCounts, total };
    });
    return { batched: { events: all.length, commands: batched }, rows };
  } finally {
    await closeClient(redis);
    await server.stop();
  }
}

if (process.argv[1] && new URL(import.meta.url).pathname.endsWith(process.argv[1].replace(/^.*\/loadtest\//, '/loadtest/'))) {
  const r = await ingestCommands(Number(process.argv[2] ?? 20_000), Number(process.argv[3] ?? 1000), process.argv[4] === 'seconds');
  const f = (v: number) => v.toFixed(2);
  const total = Object.values(r.batched.commands).reduce((a, b) => a + b, 0);
  console.log(`batched, ${r.batched.events} events: ${f(total)} commands an event: ${Object.entries(r.batched.commands).map(([k, v]) => `${k} ${f(v)}`).join(', ')}`);
  console.log('event an own call (meta HMGET is per address per call):');
  for (const x of r.rows) console.log(`${x.kind.padEnd(14)} ${x.path.padEnd(8)} ${String(x.events).padStart(6)}  ${f(x.total).padStart(5)}  ${Object.entries(x.perEvent).map(([k, v]) => `${k} ${f(v)}`).join(', ')}`);
}
