import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { DomainError } from '../core/domain-error.js';
import { followFile } from '../intake/follow.js';
import { intakeRegistry, parseMetricsListen, startMetricsServer } from '../intake/metrics-server.js';
import { processName, SourceStats } from '../intake/source-stats.js';
import { addCounts, countsLine, rejectedOf, skipsLine, zeroInputCounts, type InputCounts } from '../intake/input-tally.js';
import { LineFeeder, type ParseCounts, type ParseResult } from '../intake/pipeline.js';
import type { ZoneUse } from '../parse/zone-clock.js';
import type { CanonicalEvent } from '../events/schema.js';
import { loadConfig } from '../config.js';
import { defaultRetryDelay, storeEvents } from '../intake/store-queue.js';
import { ProfileDictionary } from '../timeindex/profiles.js';
import { AccessLog } from '../audit/log.js';
import { recordIngest } from '../audit/provenance.js';
import { cliIngest } from './ingest-identity.js';
import { IndexWriter } from '../timeindex/writer.js';
import { EXIT_DATA, UsageError } from './fail.js';
import { inputsFor, RejectLog, type Input, type InputOptions, type TextInput } from './inputs.js';
import { readInput, zoneLine, type InputReport } from './read-input.js';
import { openCliStore } from './store.js';

export interface IngestOptions extends InputOptions {
  rejects?: string;
  /** Keep skipped lines in the rejects file too, marked `skipped: true`. */
  keepSkipped?: boolean;
  /** Exit 65 when more than this share of the lines read were rejected (0-1); default: no limit. */
  maxRejectRatio?: string;
  follow?: boolean;
  state?: string;
  /** With --follow: serve Prometheus metrics at HOST:PORT. */
  metricsListen?: string;
  /** How long one batch is retried while Redis is unreachable before ingest stops; default 10 minutes. */
  retryForMs?: number;
  /** Delay before retry number `attempt`; default the collector's (100 ms doubling to 5 s). */
  retryDelayMs?: (attempt: number) => number;
}

const RETRY_FOR_MS = 10 * 60_000;

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

export function parseRatio(text: string | undefined): number | null {
  if (text === undefined) return null;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new UsageError(`--max-reject-ratio ${JSON.stringify(text)}: give a share of the lines from 0 to 1, e.g. 0.01 for 1%`);
  }
  return n;
}

/** Per-input lines on stderr: the counts, the zone applied, the skips by reason, and a wrong-format warning. */
export function reportInput(r: InputReport, counts: InputCounts, stored: boolean): void {
  const lines = [`${r.file}: ${r.format}: ${countsLine(counts, { unit: r.unit, stored })}`, `${r.file}: ${r.zone}`];
  const skips = skipsLine(r.skips);
  if (skips) lines.push(`${r.file}: ${skips}`);
  if (r.hint) lines.push(`${r.file}: ${r.hint}`);
  process.stderr.write(`${lines.join('\n')}\n`);
}

function addZoneUse(a: ZoneUse | undefined, b: ZoneUse | undefined): ZoneUse | undefined {
  if (!a || !b) return a ?? b;
  return { zone: b.zone, wallTimes: a.wallTimes + b.wallTimes, decidedByOrder: a.decidedByOrder + b.decidedByOrder, ownZone: a.ownZone + b.ownZone };
}

/**
 * Why a run that read its input should still not count as a success (exit 65), or null: nothing
 * kept from a non-empty input, or more rejected than the operator allows.
 */
export function dataVerdict(t: InputCounts, kept: number, what: string, maxRatio: number | null): string | null {
  const rejected = rejectedOf(t);
  if (t.lines > 0 && kept === 0) {
    return `nothing was ${what} from ${t.lines} lines (${rejected} rejected, ${t.skipped} skipped): see the reasons above, and check --format`;
  }
  if (maxRatio !== null && t.lines > 0 && rejected / t.lines > maxRatio) {
    return `${rejected} of ${t.lines} lines rejected (${((100 * rejected) / t.lines).toFixed(1)}%), over --max-reject-ratio ${maxRatio}: see the reasons above`;
  }
  return null;
}

/**
 * Parses the inputs and stores their events straight in Redis. Every batch is acknowledged by
 * Redis before more is read. Events Redis could not take because it was away or busy
 * (connection lost, restarting, loading its append-only file: the writer says which) are written again
 * with backoff until it takes them, so a Redis restart mid-file loses nothing; the index's merge
 * makes the repeat harmless. Only events the store refused for themselves (older than
 * retention, a script error) count as rejects, kept with their line and event. Redis away for
 * longer than `retryForMs` is fatal; Redis not answering at the start stops it at once.
 */
export async function ingestCommand(files: string[], o: IngestOptions): Promise<number> {
  const maxRatio = parseRatio(o.maxRejectRatio);
  const config = loadConfig();
  const inputs = await inputsFor(files, o);
  const capture = inputs.find((i) => i.kind === 'capture');
  if (o.follow && capture) {
    throw new UsageError(`--follow reads text logs as they grow, and ${capture.file} is a ${capture.capture} capture: replay it once, without --follow`);
  }
  const listen = o.metricsListen === undefined ? null : parseMetricsListen(o.metricsListen);
  if (listen && !o.follow) throw new DomainError('bad_parameter', '--metrics-listen serves a running process: use it with --follow (a one-off ingest prints its counts and ends)');
  const redis = await openCliStore(config, { command: 'ingest' });
  const stats = new SourceStats(redis.redis, processName('ingest'));
  // the per-source counts name the configured source when given, else the format read
  const formatOf = (input: Input) => (input.kind === 'capture' ? 'ipfix' : input.format.name);
  const sourceOf = (input: Input) => o.source ?? formatOf(input);
  // connection errors reach the retry loop below, which reports them once per batch
  redis.redis.on('error', () => {});
  const profiles = new ProfileDictionary(redis.redis);
  const newWriter = () => new IndexWriter(redis.redis, profiles, { days: config.retentionDays, now: Date.now });
  let writer = newWriter();
  const rejects = new RejectLog(o.rejects);
  const totals = zeroInputCounts();
  const ingest = cliIngest();
  const since = new Date().toISOString();
  /** Events stored per source, for the run's access-log record. */
  const storedPerSource: Record<string, number> = {};
  let failed = false;
  const retryFor = o.retryForMs ?? RETRY_FOR_MS;
  const delayOf = o.retryDelayMs ?? defaultRetryDelay;
  const store = (file: string, source: string, counts: InputCounts) => async (events: CanonicalEvent[], lines: number[], texts: string[]) => {
    const out = await storeEvents((e) => writer.write(e, ingest), events, { delayMs: delayOf, giveUpAfterMs: retryFor }, {
      stats,
      sourceOf: () => source,
      onStored: (positions) => {
        counts.stored += positions.length;
        // by the events' own source, the one their evidence shows (as HTTP ingest counts them)
        for (const p of positions) storedPerSource[events[p].source] = (storedPerSource[events[p].source] ?? 0) + 1;
      },
      onRefused: (position, f) => {
        counts.refused++;
        rejects.add({ file, line: lines[position], reason: f.reason, text: texts[position] ?? '', event: events[position] });
      },
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
    if (o.follow) {
      const counts = zeroInputCounts();
      try {
        await followAll(inputs as TextInput[], o, config.dataDir, (file, source) => store(file, source, counts), rejects, counts, stats, sourceOf, listen);
      } finally {
        addCounts(totals, counts);
      }
    }
    else {
      for (const input of inputs) {
        const bar = progress(input.file);
        const counts = zeroInputCounts();
        const source = sourceOf(input);
        const r = await readInput(input, {
          onBatch: store(input.file, source, counts),
          onReject: (x) => {
            rejects.add(x);
            stats.reason(source, 'rejected', x.reason);
          },
          onSkip: (x) => {
            stats.reason(source, 'skipped', x.reason);
            if (o.keepSkipped) rejects.skip(x);
          },
          onProgress: (p) => bar.update(p, counts.stored),
        });
        bar.stop();
        Object.assign(counts, { lines: r.counts.lines, events: r.counts.events, unreadable: r.counts.unreadable, skipped: r.counts.skipped });
        // the skips were counted with their reasons as they came
        stats.grown(source, { received: 0, skipped: r.counts.skipped }, r.counts);
        reportInput(r, counts, true);
        addCounts(totals, counts);
      }
    }
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    // the run is one ingest request: what it stored under whose name, as HTTP ingest is recorded;
    // a run that failed records what it stored before, if it can, and reports its own failure
    const recorded = recordIngest(new AccessLog(redis.redis, `${config.instance}/cli`), ingest, {
      client: 'cli', route: 'whohad ingest', format: [...new Set(inputs.map(formatOf))].join(','),
      sources: storedPerSource, accepted: Object.values(storedPerSource).reduce((a, n) => a + n, 0), rejected: rejectedOf(totals), since,
    }).catch((err) => {
      if (!failed) throw err;
    });
    try {
      await recorded;
    } finally {
      await stats.flush();
      await rejects.close();
      await redis.close();
    }
  }
  process.stdout.write(`stored ${totals.stored} events from ${totals.lines} lines; rejected ${rejectedOf(totals)} (${totals.unreadable} unreadable, ${totals.refused} refused by the store); skipped ${totals.skipped}\n`);
  if (o.follow) return 0;
  const verdict = dataVerdict(totals, totals.stored, 'stored', maxRatio);
  if (verdict === null) return 0;
  process.stderr.write(`whohad ingest: ${verdict}\n`);
  return EXIT_DATA;
}

/** Tails each file until SIGINT or SIGTERM, resuming from its recorded position next time. */
async function followAll(
  inputs: TextInput[],
  o: IngestOptions,
  dataDir: string,
  store: (file: string, source: string) => (e: CanonicalEvent[], l: number[], t: string[]) => Promise<void>,
  rejects: RejectLog,
  counts: InputCounts,
  stats: SourceStats,
  sourceOf: (input: Input) => string,
  listen: { host: string; port: number } | null,
) {
  const stateDir = o.state ?? join(dataDir, 'follow');
  mkdirSync(stateDir, { recursive: true });
  const followers = inputs.map((input) => {
    if (input.file === '-') throw new UsageError('--follow needs files, not standard input: name the files to follow');
    const path = resolve(input.file);
    const statePath = join(stateDir, `${createHash('sha256').update(path).digest('hex').slice(0, 16)}.json`);
    let feeder: LineFeeder | null = null;
    let counted = { received: 0, skipped: 0 };
    const source = sourceOf(input);
    // the zone applied over every feeder the file had (a rotation starts a new one)
    let zone: ZoneUse | undefined;
    let format = input.format.name;
    // each feeder's counts join the run's when it ends, as a file's do without --follow
    const count = (f: LineFeeder, r: ParseResult) => {
      counts.lines += f.counts.lines;
      counts.events += f.counts.events;
      counts.unreadable += f.counts.rejected;
      counts.skipped += f.counts.skipped;
      format = r.format;
      zone = addZoneUse(zone, r.zone);
    };
    const newFeeder = (firstLine: number) => {
      counted = { received: 0, skipped: 0 };
      return new LineFeeder({
        format: input.format,
        options: input.options,
        context: { now: Date.now() },
        file: input.file,
        firstLine,
        onBatch: store(input.file, source),
        onReject: (x) => {
          rejects.add(x);
          stats.reason(source, 'rejected', x.reason);
        },
        onSkip: (x) => {
          // counted here with its reason, so `grown` does not count it again
          counted.skipped++;
          stats.reason(source, 'skipped', x.reason);
        },
      });
    };
    const follower = followFile(path, {
      statePath,
      onLines: async (lines, pos) => {
        feeder ??= newFeeder(pos.firstLine);
        await feeder.push(lines);
        await feeder.flush();
        stats.grown(source, counted, feeder.counts);
        void stats.flush();
      },
      onReset: async (why) => {
        process.stderr.write(`${input.file}: ${why}, reading it from the start\n`);
        if (feeder) count(feeder, await feeder.end());
        feeder = null;
      },
      onError: (err) => process.stderr.write(`${input.file}: ${err.message} (will retry)\n`),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    return {
      follower,
      end: async () => {
        if (feeder) count(feeder, await feeder.end());
        process.stderr.write(`${input.file}: ${zoneLine(zone, format)}\n`);
      },
    };
  });
  const metrics = listen
    ? await startMetricsServer(listen, intakeRegistry(stats, { pending: () => ({}), spoolBytes: () => 0, overloaded: () => false, storeFailures: () => 0 }))
    : null;
  if (metrics) process.stdout.write(`metrics: http://${listen!.host.includes(':') ? `[${listen!.host}]` : listen!.host}:${metrics.address.port}/metrics\n`);
  await new Promise<void>((done) => {
    for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => done());
  });
  await Promise.all(followers.map((f) => f.follower.stop()));
  for (const f of followers) await f.end();
  await metrics?.close();
}
