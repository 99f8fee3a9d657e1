import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { DomainError } from '../core/domain-error.js';
import { openStore } from '../commands.js';
import { followFile } from '../intake/follow.js';
import { LineFeeder, linesOf, parseStream, type ParseCounts } from '../intake/pipeline.js';
import type { CanonicalEvent } from '../events/schema.js';
import { loadConfig } from '../config.js';
import { defaultRetryDelay, storeEvents } from '../intake/store-queue.js';
import { ProfileDictionary } from '../timeindex/profiles.js';
import { IndexWriter } from '../timeindex/writer.js';
import { inputsFor, RejectLog, type Input, type InputOptions } from './inputs.js';

export interface IngestOptions extends InputOptions {
  rejects?: string;
  follow?: boolean;
  state?: string;
  /** How long one batch is retried while Redis is unreachable before ingest stops; default 10 minutes. */
  retryForMs?: number;
  /** Delay before retry number `attempt`; default the collector's (100 ms doubling to 5 s). */
  retryDelayMs?: (attempt: number) => number;
}

const RETRY_FOR_MS = 10 * 60_000;

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
 * Redis before more is read. Events Redis could not take because it was away or busy
 * (connection lost, restarting, loading its append-only file: the writer says which) are written again
 * with backoff until it takes them, so a Redis restart mid-file loses nothing; the index's merge
 * makes the repeat harmless. Only events the store refused for themselves (older than
 * retention, a script error) count as rejects. Redis away for longer than `retryForMs` is fatal.
 */
export async function ingestCommand(files: string[], o: IngestOptions): Promise<number> {
  const config = loadConfig();
  const inputs = await inputsFor(files, o);
  const redis = await openStore(config);
  // connection errors reach the retry loop below, which reports them once per batch
  redis.redis.on('error', () => {});
  const profiles = new ProfileDictionary(redis.redis);
  const newWriter = () => new IndexWriter(redis.redis, profiles, { days: config.retentionDays, now: Date.now });
  let writer = newWriter();
  const rejects = new RejectLog(o.rejects);
  const totals: Totals = { lines: 0, events: 0, rejected: 0, skipped: 0, stored: 0 };
  const retryFor = o.retryForMs ?? RETRY_FOR_MS;
  const delayOf = o.retryDelayMs ?? defaultRetryDelay;
  const store = (file: string) => async (events: CanonicalEvent[], lines: number[]) => {
    const out = await storeEvents((e) => writer.write(e), events, { delayMs: delayOf, giveUpAfterMs: retryFor }, {
      freshness: redis.redis,
      onStored: (positions) => (totals.stored += positions.length),
      onRefused: (position, f) => rejects.add({ file, line: lines[position], reason: f.reason, text: '' }),
      onRetry: (error, attempt, delay, left) => {
        // A failed pipeline may have lost address registrations the writer counts as done.
        writer = newWriter();
        if (attempt === 1 || attempt % 10 === 0) {
          process.stderr.write(`${file}: Redis did not take ${left} events (${error}); retrying (attempt ${attempt}, next in ${delay} ms)\n`);
        }
      },
    });
    if (out.left.length > 0) {
      throw new DomainError(
        'store_unavailable',
        `Redis has not taken the events of ${file} from line ${lines[out.left[0]]} on for ${Math.round(retryFor / 1000)} s (${out.error}); ` +
          'stopped there. Running the same ingest again is safe: the index keeps each event once.',
      );
    }
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
