/**
 * The batch merge scripts of an earlier commit against today's, in the same run, on the same
 * events: Redis time an event (INFO commandstats, EVALSHA with the commands its script runs) and
 * wall time, alternating old and new so that a busy machine weighs on both alike. The events are
 * generated in memory and stored through IndexWriter, so that parsing does not enter the figure.
 *   npx tsx loadtest/ingest-ab.ts <base commit> [events=200000] [addresses=10240] [runs=3]
 * or `import { ingestAb } from './ingest-ab.js'` (rows as in bench.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { defineCommands } from '../commands.js';
import type { CanonicalEvent } from '../events/schema.js';
import { closeClient } from '../redis/client.js';
import { startRedisServer } from '../redis/embedded.js';
import { expandLua } from '../redis/script-loader.js';
import { ProfileDictionary } from '../timeindex/profiles.js';
import { IndexWriter } from '../timeindex/writer.js';
import type { Row } from './ingest-bench.js';
import { DEFAULT_SHAPE, leaseEvents, natEvents } from './synthetic-isp.js';

const SCRIPTS = ['natBatch-n.lua', 'leaseBatch-n.lua'];

/** The batch scripts as they were at `base`, includes expanded. */
function scriptsAt(base: string, dir: string): Record<string, string> {
  const root = execFileSync('git', ['rev-parse', '--show-toplevel'], { encoding: 'utf8' }).trim();
  const files = execFileSync('git', ['-C', root, 'ls-tree', '-r', '--name-only', base, 'timeindex/lua'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const f of files) {
    mkdirSync(`${dir}/${f.slice(0, f.lastIndexOf('/'))}`, { recursive: true });
    writeFileSync(`${dir}/${f}`, execFileSync('git', ['-C', root, 'show', `${base}:${f}`]));
  }
  const out: Record<string, string> = {};
  for (const s of SCRIPTS) out[s.replace(/-n\.lua$/, '')] = expandLua(pathToFileURL(`${dir}/timeindex/lua/${s}`));
  return out;
}

function sample(events: number, addresses: number): CanonicalEvent[] {
  const days = Math.max(1, Math.ceil((1.3 * events) / (addresses * 8 * 6)));
  const shape = { ...DEFAULT_SHAPE, publicIps: addresses, blocksPerIp: 8, days, privateIps: 200_000 };
  const out: CanonicalEvent[] = [];
  for (const e of natEvents(shape)) {
    if (out.length >= (events * 4) / 5) break;
    out.push(e);
  }
  for (const e of leaseEvents({ ...shape, privateIps: 20_000 })) {
    if (out.length >= events) break;
    out.push(e);
  }
  return out;
}

async function runOnce(redis: Redis, events: CanonicalEvent[]): Promise<{ usPerEvent: number; rate: number }> {
  await redis.flushall();
  await redis.config('RESETSTAT');
  const writer = new IndexWriter(redis, new ProfileDictionary(redis), { days: 36_500, now: Date.now });
  const t0 = performance.now();
  for (let i = 0; i < events.length; i += 2000) {
    const out = await writer.write(events.slice(i, i + 2000));
    if (out.failed.length > 0) throw new Error(`not stored: ${JSON.stringify(out.failed[0])}`);
  }
  const s = (performance.now() - t0) / 1000;
  const info = await redis.info('commandstats');
  const usec = Number(/cmdstat_evalsha:calls=\d+,usec=(\d+)/.exec(info)?.[1] ?? 0);
  return { usPerEvent: usec / events.length, rate: events.length / s };
}

export async function ingestAb(base: string, events = 200_000, addresses = 10_240, runs = 3): Promise<Row[]> {
  const dir = `/tmp/whohad-ingest-ab-${process.pid}`;
  mkdirSync(dir, { recursive: true });
  const server = await startRedisServer({ dir, appendonly: false });
  const clients = { old: new Redis(server.url), new: new Redis(server.url) };
  try {
    const old = scriptsAt(base, `${dir}/old`);
    for (const c of Object.values(clients)) defineCommands(c);
    // the old client runs the old scripts under the same names, so IndexWriter calls them unchanged
    for (const [name, lua] of Object.entries(old)) clients.old.defineCommand(name, { lua });
    const all = sample(events, addresses);
    const best = { old: { us: Infinity, rate: 0 }, new: { us: Infinity, rate: 0 } };
    for (let i = 0; i < runs; i++) {
      for (const which of ['old', 'new'] as const) {
        const r = await runOnce(clients[which], all);
        best[which].us = Math.min(best[which].us, r.usPerEvent);
        best[which].rate = Math.max(best[which].rate, r.rate);
      }
    }
    const n = all.length.toLocaleString('en');
    return [
      { figure: `merge scripts at ${base.slice(0, 8)}, ${n} events`, value: best.old.us, unit: 'µs/event', target: 'Redis time, before', ok: null, note: `${Math.round(best.old.rate).toLocaleString('en')} events/s stored from memory` },
      { figure: `merge scripts now, ${n} events`, value: best.new.us, unit: 'µs/event', target: '<= 6.7', ok: best.new.us <= 6.7, note: `${(best.new.us / best.old.us).toFixed(2)}x the Redis time before, ${(best.new.rate / best.old.rate).toFixed(2)}x the rate; best of ${runs}; ${Math.round(best.new.rate).toLocaleString('en')} events/s` },
    ];
  } finally {
    await closeClient(clients.old);
    await closeClient(clients.new);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && new URL(import.meta.url).pathname.endsWith(process.argv[1].replace(/^.*\/loadtest\//, '/loadtest/'))) {
  const [base, events, addresses, runs] = process.argv.slice(2);
  if (!base) throw new Error('usage: npx tsx loadtest/ingest-ab.ts <base commit> [events] [addresses] [runs]');
  const rows = await ingestAb(base, Number(events ?? 200_000), Number(addresses ?? 10_240), Number(runs ?? 3));
  for (const r of rows) console.log(`${r.figure.padEnd(48)} ${r.value.toFixed(2).padStart(8)} ${r.unit.padEnd(9)} ${r.target.padEnd(20)} ${r.ok === null ? '' : r.ok ? 'yes' : 'NO'}  (${r.note})`);
}
