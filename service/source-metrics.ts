import type { Cluster, Redis } from 'ioredis';
import { Counter, Gauge, Registry } from 'prom-client';
import { forgetSilentProcesses, readSourceStats, type StoredProcess, type StoredSourceStats } from '../intake/source-stats.js';
import { sweepOpenAllocations, type SweepResult } from '../timeindex/open-allocations.js';

/**
 * What every ingesting process wrote to Redis, as Prometheus metrics (`whohad_source_*`,
 * `whohad_ingest_process_*`, `whohad_nat_open_*`): the installation's view, the same whichever
 * service instance or worker is scraped, so it is never summed over workers.
 *
 * A scrape reads Redis at most once per `cacheMs` (a few round trips); the open-allocation sweep,
 * which visits every chain, runs in the background at most once per `sweepEveryMs` and a scrape
 * shows its last result (the first scrape waits for the first sweep).
 */

export interface SourceMetricsOptions {
  cacheMs?: number;
  sweepEveryMs?: number;
  /** A process that has not reported for this long is shown stale (`up` 0); default 2 minutes. */
  staleMs?: number;
  /** ... and forgotten after this long; default a day. */
  forgetMs?: number;
  now?: () => number;
}

interface Snapshot {
  sources: StoredSourceStats[];
  processes: StoredProcess[];
}

export class SourceMetrics {
  readonly registry = new Registry();
  private snapshot: Snapshot | null = null;
  private readAt = 0;
  private reading: Promise<void> | null = null;
  private sweep: SweepResult | null = null;
  private sweptAt = 0;
  private sweeping: Promise<void> | null = null;
  private readonly o: Required<SourceMetricsOptions>;

  constructor(
    private readonly redis: Redis | Cluster,
    o: SourceMetricsOptions = {},
  ) {
    this.o = { cacheMs: 10_000, sweepEveryMs: 300_000, staleMs: 120_000, forgetMs: 86_400_000, now: Date.now, ...o };
    this.define();
  }

  /** The exposition text; reads Redis only when the cache has aged. */
  async metrics(): Promise<string> {
    await Promise.all([this.refresh(), this.refreshSweep()]);
    return this.registry.metrics();
  }

  private refresh(): Promise<void> {
    if (this.snapshot && this.o.now() - this.readAt < this.o.cacheMs) return Promise.resolve();
    this.reading ??= (async () => {
      const s = await readSourceStats(this.redis);
      const now = this.o.now();
      await forgetSilentProcesses(this.redis, s.processes, now, this.o.forgetMs);
      this.snapshot = { sources: s.sources, processes: s.processes.filter((p) => now - p.at <= this.o.forgetMs) };
      this.readAt = now;
    })().finally(() => (this.reading = null));
    return this.reading;
  }

  private refreshSweep(): Promise<void> {
    if (this.sweep && this.o.now() - this.sweptAt < this.o.sweepEveryMs) return Promise.resolve();
    if (!this.sweeping) {
      this.sweeping = sweepOpenAllocations(this.redis, this.o.now)
        .then((r) => {
          this.sweep = r;
          this.sweptAt = this.o.now();
        })
        .finally(() => (this.sweeping = null));
      // a failed background sweep leaves the last result; the first one is awaited and reported
      if (this.sweep) this.sweeping.catch(() => {});
    }
    return this.sweep ? Promise.resolve() : this.sweeping;
  }

  private define(): void {
    const self = this;
    const sources = () => self.snapshot?.sources ?? [];
    const perSource = [
      ['received', 'whohad_source_received_total', 'Lines, messages or records received from the source, by every ingesting process'],
      ['events', 'whohad_source_events_total', 'Events of the source Redis took'],
      ['dropped', 'whohad_source_dropped_total', 'Messages and events of the source turned away while the store was behind (kept in rejects files)'],
    ] as const;
    for (const [field, name, help] of perSource) {
      new Counter({
        name,
        help,
        labelNames: ['source'] as const,
        registers: [this.registry],
        collect() {
          this.reset();
          for (const s of sources()) this.inc({ source: s.source }, s.counters[field]);
        },
      });
    }
    for (const kind of ['rejected', 'skipped'] as const) {
      new Counter({
        name: `whohad_source_${kind}_total`,
        help: `Lines or events of the source ${kind}, by reason (store_*: refused by the store; unclassified: counted without a reason)`,
        labelNames: ['source', 'reason'] as const,
        registers: [this.registry],
        collect() {
          this.reset();
          for (const s of sources()) {
            // a source with none still shows 0, so a ratio over it is defined
            this.inc({ source: s.source, reason: 'unclassified' }, 0);
            for (const r of s.reasons) if (r.kind === kind) this.inc({ source: s.source, reason: r.reason }, r.count);
          }
        },
      });
    }
    new Gauge({
      name: 'whohad_source_last_event_timestamp_seconds',
      help: 'When Redis last took an event of the source (Unix time): freshness',
      labelNames: ['source'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const s of sources()) if (s.lastEventMs !== null) this.set({ source: s.source }, s.lastEventMs / 1000);
      },
    });
    const live = () => (self.snapshot?.processes ?? []).filter((p) => self.o.now() - p.at <= self.o.staleMs);
    new Gauge({
      name: 'whohad_source_pending_events',
      help: 'Events of the source received by a running process and not yet taken by Redis nor refused',
      labelNames: ['source'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const sum = new Map<string, number>();
        for (const p of live()) for (const [s, n] of Object.entries(p.pending)) sum.set(s, (sum.get(s) ?? 0) + n);
        for (const [source, n] of sum) this.set({ source }, n);
      },
    });
    new Gauge({
      name: 'whohad_ingest_process_spool_bytes',
      help: 'Bytes in an ingesting process\'s local spool of received lines not yet taken by Redis',
      labelNames: ['process'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const p of live()) this.set({ process: p.name }, p.spoolBytes);
      },
    });
    new Gauge({
      name: 'whohad_ingest_process_last_report_timestamp_seconds',
      help: 'When an ingesting process last wrote its counts (Unix time); silent ones are forgotten after a day',
      labelNames: ['process'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const p of self.snapshot?.processes ?? []) this.set({ process: p.name }, p.at / 1000);
      },
    });
    new Gauge({
      name: 'whohad_nat_open_allocations',
      help: 'Allocations still open (no release yet) per NAT instance, at the last sweep',
      labelNames: ['nat_instance'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const i of self.sweep?.instances ?? []) this.set({ nat_instance: i.natInstance }, i.open);
      },
    });
    new Gauge({
      name: 'whohad_nat_open_allocation_oldest_seen_timestamp_seconds',
      help: 'Per NAT instance, the oldest last-seen time (allocation or interim) of an open allocation (Unix time): the allocation longest without an interim',
      labelNames: ['nat_instance'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const i of self.sweep?.instances ?? []) this.set({ nat_instance: i.natInstance }, i.oldestSeen / 1000);
      },
    });
    new Gauge({
      name: 'whohad_nat_open_sweep_duration_seconds',
      help: 'How long the last sweep of every chain for open allocations took',
      registers: [this.registry],
      collect() {
        this.set((self.sweep?.ms ?? 0) / 1000);
      },
    });
    new Gauge({
      name: 'whohad_nat_open_sweep_timestamp_seconds',
      help: 'When the last sweep for open allocations finished (Unix time)',
      registers: [this.registry],
      collect() {
        this.set(self.sweptAt / 1000);
      },
    });
  }
}
