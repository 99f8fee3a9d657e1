import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { openRedis } from '../core/redis-connect.js';
import { followFile } from '../ingest/follow.js';
import { LineFeeder, linesOf, parseStream, type ParseCounts } from '../ingest/pipeline.js';
import type { CanonicalEvent } from '../schemas/events.js';
import { loadConfig } from '../service/config.js';
import { ProfileDictionary } from '../timeindex/profiles.js';
import { IndexWriter } from '../timeindex/writer.js';
import { inputsFor, RejectLog, type Input, type InputOptions } from './inputs.js';

export interface IngestOptions extends InputOptions {
  rejects?: string;
  follow?: boolean;
  state?: string;
}

interface Totals extends ParseCounts {
  stored: number;
}

/** A progress line on a terminal only; logs and pipes get the final counts alone. */
function progress(label: string) {
  if (!process.stderr.isTTY) return { update: (_: ParseCounts, __: number) => {}, stop: () => {} };
  const bar = new SingleBar({ format: `${label} {lines} lines | {events} events | {rate} events/s | {rejected} rejected`, hideCursor: true }, undefined);
  const t0 = performance.now();
  bar.start(0, 0, { lines: 0, events: 0, rate: 0, rejected: 0 });
  return {
    update: (p: ParseCounts, stored: number) =>
      bar.update(0, { lines: p.lines, events: stored, rejected: p.rejected, rate: Math.round(stored / ((performance.now() - t0) / 1000 || 1)) }),
    stop: () => bar.stop(),
  };
}

/**
 * Parses the inputs and stores their events straight in Redis. Every batch is acknowledged by
 * Redis before more is read; events Redis refused (older than retention) count as rejects.
 */
export async function ingestCommand(files: string[], o: IngestOptions): Promise<number> {
  const config = loadConfig();
  const inputs = await inputsFor(files, o);
  const redis = await openRedis(config.redisUrl, config.dataDir);
  const writer = new IndexWriter(redis.redis, new ProfileDictionary(redis.redis), { days: config.retentionDays, now: Date.now });
  const rejects = new RejectLog(o.rejects);
  const totals: Totals = { lines: 0, events: 0, rejected: 0, skipped: 0, stored: 0 };
  const store = (file: string) => async (events: CanonicalEvent[], lines: number[]) => {
    const out = await writer.write(events);
    totals.stored += out.stored;
    for (const f of out.failed) rejects.add({ file, line: lines[f.index], reason: f.reason, text: '' });
  };
  try {
    if (o.follow) await followAll(inputs, o, config.dataDir, store, rejects);
    else {
      for (const input of inputs) {
        const bar = progress(input.file);
        const r = await parseStream({
          lines: linesOf(input.file),
          format: input.format,
          options: input.options,
          context: { now: Date.now() },
          file: input.file,
          onBatch: store(input.file),
          onReject: (x) => rejects.add(x),
          onProgress: (p) => bar.update(p, totals.stored),
        });
        bar.stop();
        for (const k of ['lines', 'events', 'rejected', 'skipped'] as const) totals[k] += r[k];
        process.stderr.write(`${input.file}: ${r.format}: ${r.lines} lines, ${r.events} events, ${r.rejected} rejected, ${r.skipped} skipped\n`);
      }
    }
  } finally {
    await rejects.close();
    await redis.close();
  }
  const refused = rejects.count - totals.rejected;
  process.stdout.write(`stored ${totals.stored} events from ${totals.lines} lines; rejected ${rejects.count} (${totals.rejected} unreadable, ${refused} refused by the store); skipped ${totals.skipped}\n`);
  return 0;
}

/** Tails each file until SIGINT or SIGTERM, resuming from its recorded position next time. */
async function followAll(inputs: Input[], o: IngestOptions, dataDir: string, store: (file: string) => (e: CanonicalEvent[], l: number[]) => Promise<void>, rejects: RejectLog) {
  const stateDir = o.state ?? join(dataDir, 'follow');
  mkdirSync(stateDir, { recursive: true });
  const followers = inputs.map((input) => {
    if (input.file === '-') throw new Error('--follow needs files, not standard input');
    const path = resolve(input.file);
    const statePath = join(stateDir, `${createHash('sha256').update(path).digest('hex').slice(0, 16)}.json`);
    let feeder: LineFeeder | null = null;
    const newFeeder = (firstLine: number) =>
      new LineFeeder({ format: input.format, options: input.options, context: { now: Date.now() }, file: input.file, firstLine, onBatch: store(input.file), onReject: (x) => rejects.add(x) });
    return followFile(path, {
      statePath,
      onLines: async (lines, pos) => {
        feeder ??= newFeeder(pos.firstLine);
        await feeder.push(lines);
        await feeder.flush();
      },
      onReset: async (why) => {
        process.stderr.write(`${input.file}: ${why}, reading it from the start\n`);
        if (feeder) await feeder.end();
        feeder = null;
      },
      onError: (err) => process.stderr.write(`${input.file}: ${err.message} (will retry)\n`),
    });
  });
  await new Promise<void>((done) => {
    for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => done());
  });
  await Promise.all(followers.map((f) => f.stop()));
}
