import { hostname } from 'node:os';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';

/**
 * Per-source ingest counters kept in Redis, so that the service can show what every collector,
 * follower and HTTP client has stored, skipped, rejected and dropped, and when each source last
 * delivered, whichever process did the work. Written by the process doing the work once per
 * batch (one MULTI of a few HINCRBY), read by the service's `/metrics` (service/source-metrics.ts).
 *
 * Keys, all in the `{whohad}` slot so one MULTI carries a batch's whole update:
 * - `{whohad}:ingest:sources`: set of source names;
 * - `{whohad}:ingest:source:<name>`: hash of counters `received`, `events` (stored), `rejected`,
 *   `skipped`, `dropped`, and the breakdown `rejected:<reason>`, `skipped:<reason>`,
 *   `dropped:<reason>` where the reason is known (the total minus the breakdown is shown as
 *   `unclassified`, so the two always add up);
 * - `{whohad}:ingest:last`: sorted set, score = wall-clock ms at which Redis last took an
 *   event of the source (`ZADD GT`: two collectors of one source never move it back);
 * - `{whohad}:ingest:processes`: hash, one field per ingesting process, JSON of its gauges
 *   (pending events per source, spool bytes, the time it reported): a process that stops
 *   reporting is shown as stale, then forgotten.
 */

/** Every key of the per-source counts starts so: what a run did, not evidence (tests comparing two runs' index leave them out). */
export const INGEST_STATS_PREFIX = '{whohad}:ingest:';
export const isIngestStatsKey = (key: string): boolean => key.startsWith(INGEST_STATS_PREFIX);
export const SOURCES_KEY = '{whohad}:ingest:sources';
export const LAST_KEY = '{whohad}:ingest:last';
/** Sorted set, score = the latest event time (the device's clock) stored for the source. */
export const LAST_EVENT_AT_KEY = '{whohad}:ingest:last-event-at';
export const PROCESSES_KEY = '{whohad}:ingest:processes';
export const sourceKey = (source: string) => `{whohad}:ingest:source:${source}`;

export const COUNTERS = ['received', 'events', 'rejected', 'skipped', 'dropped'] as const;
export type Counter = (typeof COUNTERS)[number];
export type ReasonKind = 'rejected' | 'skipped' | 'dropped';

/** Distinct reasons one source keeps; later ones count under `other` (labels must stay few). */
export const MAX_REASONS = 32;

/**
 * A reason's label: the words before the first detail (a colon, comma, quote, number or bracket),
 * as snake_case, at most 48 characters. `bad port "x" at 3` and `bad port "y" at 9` are one label;
 * the full text stays in the rejects file.
 */
export function reasonLabel(reason: string): string {
  const head = reason.split(/[:;,"'`(\[{=<>0-9]/)[0];
  const slug = head.toLowerCase().replace(/[^a-z]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 48).replace(/_+$/, '');
  return slug === '' ? 'unspecified' : slug;
}

export interface ProcessGauges {
  /** Events received but not yet taken by Redis nor refused, per source. */
  pending: Record<string, number>;
  /** Bytes in the local spool of received lines (0 without one). */
  spoolBytes: number;
}

interface Delta {
  counts: Map<string, number>;
  last: number;
  /** The latest event time among the events stored since the last flush. */
  lastEventAt: number;
}

/** Cumulative counts of one source in this process (what `--metrics-listen` shows). */
export interface LocalSourceCounts {
  received: number;
  events: number;
  rejected: number;
  skipped: number;
  dropped: number;
  reasons: Record<string, number>;
  lastEventMs: number;
}

/**
 * Collects a process's counts and writes them to Redis in one MULTI per {@link flush}. A
 * flush that fails (Redis away) keeps its deltas for the next one, so an outage delays the
 * counts but loses none; the counts never block or fail a store.
 */
export class SourceStats {
  private pending = new Map<string, Delta>();
  private readonly local = new Map<string, LocalSourceCounts>();
  private readonly reasons = new Map<string, Set<string>>();
  private flushing: Promise<void> | null = null;
  private again = false;
  private gauges: ProcessGauges | null = null;
  /** Failed flushes since the last one that succeeded. */
  failures = 0;

  constructor(
    private readonly redis: Redis | Cluster,
    /** Names this process in `{whohad}:ingest:processes` (host and pid by default). */
    readonly processName: string,
    private readonly now: () => number = Date.now,
  ) {}

  private delta(source: string): Delta {
    let d = this.pending.get(source);
    if (!d) this.pending.set(source, (d = { counts: new Map(), last: 0, lastEventAt: 0 }));
    return d;
  }

  localOf(source: string): LocalSourceCounts {
    let l = this.local.get(source);
    if (!l) this.local.set(source, (l = { received: 0, events: 0, rejected: 0, skipped: 0, dropped: 0, reasons: {}, lastEventMs: 0 }));
    return l;
  }

  /** Every source this process counted, with its counts since it started. */
  localCounts(): ReadonlyMap<string, LocalSourceCounts> {
    return this.local;
  }

  count(source: string, counter: Counter, n = 1): void {
    if (n <= 0) return;
    const d = this.delta(source);
    d.counts.set(counter, (d.counts.get(counter) ?? 0) + n);
    this.localOf(source)[counter] += n;
  }

  /** Counts `n` under `kind` (rejected, skipped, dropped) and under its reason's label. */
  reason(source: string, kind: ReasonKind, reason: string, n = 1): void {
    if (n <= 0) return;
    this.count(source, kind, n);
    let seen = this.reasons.get(source);
    if (!seen) this.reasons.set(source, (seen = new Set()));
    let label = reasonLabel(reason);
    if (!seen.has(label)) {
      if (seen.size >= MAX_REASONS) label = 'other';
      seen.add(label);
    }
    const field = `${kind}:${label}`;
    const d = this.delta(source);
    d.counts.set(field, (d.counts.get(field) ?? 0) + n);
    const l = this.localOf(source);
    l.reasons[field] = (l.reasons[field] ?? 0) + n;
  }

  /** Events Redis took for `source`, now; `latestAt` is the latest event time among them. */
  stored(source: string, n: number, latestAt = 0): void {
    if (n <= 0) return;
    this.count(source, 'events', n);
    const t = this.now();
    const d = this.delta(source);
    d.last = t;
    d.lastEventAt = Math.max(d.lastEventAt, latestAt);
    this.localOf(source).lastEventMs = t;
  }

  /**
   * Brings the counts up to a tally kept elsewhere (the collector's counter board): whatever the
   * tally has beyond what was counted here is counted now, without a reason. Reasons counted
   * through {@link reason} first are not counted twice.
   */
  mirror(tallies: Record<string, Record<'received' | 'rejected' | 'skipped' | 'dropped', number>>): void {
    for (const [source, t] of Object.entries(tallies)) {
      const l = this.localOf(source);
      for (const c of ['received', 'rejected', 'skipped', 'dropped'] as const) this.count(source, c, t[c] - l[c]);
    }
  }

  /**
   * Counts what a parser's running totals (lines read, lines skipped) have grown by since the
   * last call with the same `tally`: for readers that keep their own totals (a follower's feeder).
   */
  grown(source: string, tally: { received: number; skipped: number }, now: { lines: number; skipped: number }): void {
    this.count(source, 'received', now.lines - tally.received);
    this.count(source, 'skipped', now.skipped - tally.skipped);
    tally.received = Math.max(tally.received, now.lines);
    tally.skipped = Math.max(tally.skipped, now.skipped);
  }

  /** The process's gauges, written with the next flush. */
  setGauges(g: ProcessGauges): void {
    this.gauges = g;
  }

  /**
   * Writes what was counted since the last flush. Concurrent calls share one write (a call made
   * while one is in flight is followed by one more). Never throws.
   */
  flush(): Promise<void> {
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      do {
        this.again = false;
        await this.write();
      } while (this.again);
    })().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async write(): Promise<void> {
    const batch = this.pending;
    if (batch.size === 0 && this.gauges === null) return;
    this.pending = new Map();
    const m: ChainableCommander = this.redis.multi();
    for (const [source, d] of batch) {
      m.sadd(SOURCES_KEY, source);
      for (const [field, n] of d.counts) m.hincrby(sourceKey(source), field, n);
      if (d.last > 0) m.zadd(LAST_KEY, 'GT', d.last, source);
      if (d.lastEventAt > 0) m.zadd(LAST_EVENT_AT_KEY, 'GT', d.lastEventAt, source);
    }
    if (this.gauges) m.hset(PROCESSES_KEY, this.processName, JSON.stringify({ ...this.gauges, at: this.now() }));
    try {
      const replies = await m.exec();
      const failed = replies?.find(([err]) => err);
      if (!replies || failed) throw failed?.[0] ?? new Error('transaction discarded');
      this.failures = 0;
    } catch {
      // kept for the next flush: a transaction is applied whole or not at all
      this.failures++;
      for (const [source, d] of batch) {
        const into = this.delta(source);
        for (const [field, n] of d.counts) into.counts.set(field, (into.counts.get(field) ?? 0) + n);
        into.last = Math.max(into.last, d.last);
        into.lastEventAt = Math.max(into.lastEventAt, d.lastEventAt);
      }
    }
  }
}

/** How a process is named among the ingesting processes: what it is, where, which pid. */
export const processName = (kind: string) => `${kind}@${hostname()}:${process.pid}`;

/** One source as the service reads it. */
export interface StoredSourceStats {
  source: string;
  counters: Record<Counter, number>;
  /** `rejected:<reason>` etc. with their counts; `<kind>:unclassified` fills up to the total. */
  reasons: Array<{ kind: ReasonKind; reason: string; count: number }>;
  lastEventMs: number | null;
}

export interface StoredProcess extends ProcessGauges {
  name: string;
  at: number;
}

/** Everything the ingesting processes wrote: a few round trips whatever the number of events. */
export async function readSourceStats(redis: Redis | Cluster): Promise<{ sources: StoredSourceStats[]; processes: StoredProcess[] }> {
  const names = (await redis.smembers(SOURCES_KEY)).sort();
  const p = redis.pipeline();
  for (const n of names) p.hgetall(sourceKey(n));
  p.zrange(LAST_KEY, '0', '-1', 'WITHSCORES');
  p.hgetall(PROCESSES_KEY);
  const replies = (await p.exec()) ?? [];
  for (const [err] of replies) if (err) throw err;
  const last = new Map<string, number>();
  const z = replies[names.length][1] as string[];
  for (let i = 0; i < z.length; i += 2) last.set(z[i], Number(z[i + 1]));
  const sources = names.map((source, i) => {
    const h = replies[i][1] as Record<string, string>;
    const counters = Object.fromEntries(COUNTERS.map((c) => [c, Number(h[c] ?? 0)])) as Record<Counter, number>;
    const reasons: StoredSourceStats['reasons'] = [];
    const explained: Record<ReasonKind, number> = { rejected: 0, skipped: 0, dropped: 0 };
    for (const [field, v] of Object.entries(h)) {
      const at = field.indexOf(':');
      if (at < 0) continue;
      const kind = field.slice(0, at) as ReasonKind;
      if (!(kind in explained)) continue;
      reasons.push({ kind, reason: field.slice(at + 1), count: Number(v) });
      explained[kind] += Number(v);
    }
    for (const kind of Object.keys(explained) as ReasonKind[]) {
      const rest = counters[kind] - explained[kind];
      if (rest > 0) reasons.push({ kind, reason: 'unclassified', count: rest });
    }
    return { source, counters, reasons, lastEventMs: last.get(source) ?? null };
  });
  const procs = replies[names.length + 1][1] as Record<string, string>;
  const processes: StoredProcess[] = [];
  for (const [name, json] of Object.entries(procs)) {
    try {
      const g = JSON.parse(json) as Partial<StoredProcess>;
      processes.push({ name, at: Number(g.at ?? 0), pending: g.pending ?? {}, spoolBytes: Number(g.spoolBytes ?? 0) });
    } catch {
      // a field some other writer left: not ours to show
    }
  }
  return { sources, processes };
}

/** Drops the gauges of processes silent for longer than `ms` (they stopped, or died). */
export async function forgetSilentProcesses(redis: Redis | Cluster, processes: StoredProcess[], now: number, ms: number): Promise<void> {
  const gone = processes.filter((p) => now - p.at > ms).map((p) => p.name);
  if (gone.length > 0) await redis.hdel(PROCESSES_KEY, ...gone);
}
