import { SkipReasons } from './input-tally.js';

/**
 * What the collector has done, per source and in total. `received` counts messages (syslog) or
 * records (IPFIX); `events`, `stored` and `pending` count events, which a message may yield
 * none or several of. Nothing leaves uncounted: a message yields events, or is rejected,
 * skipped or dropped (both kept in the rejects file when not plain skips), or is still held.
 */
export interface SourceCounters {
  received: number;
  /** Events the parsers produced. */
  events: number;
  /** Events Redis acknowledged. */
  stored: number;
  /** Messages the parser or framing refused, and events the store refused; each is in the rejects file. */
  rejected: number;
  /** Messages that are not attribution records (pool alarms, empty messages). */
  skipped: number;
  /** UDP messages and IPFIX events turned away while the store was behind; each is in the rejects file. */
  dropped: number;
  /** Events produced but not yet acknowledged by Redis nor refused. */
  pending: number;
}

export interface CounterSnapshot {
  total: SourceCounters;
  sources: Record<string, SourceCounters>;
  /** Each source's skips by reason, most frequent first (sources without skips are absent). */
  skips: Record<string, Array<{ reason: string; count: number }>>;
}

/** A source's tallies; `pending` is derived, so it cannot drift from the others. */
export class SourceTally {
  received = 0;
  events = 0;
  stored = 0;
  rejected = 0;
  skipped = 0;
  dropped = 0;
  /** Events settled without being stored: refused by the store, or dropped after decoding. */
  settled = 0;
  /** What `skipped` counts, by reason: a skip is never only a number. */
  readonly skips = new SkipReasons();

  snapshot(): SourceCounters {
    const { received, events, stored, rejected, skipped, dropped } = this;
    return { received, events, stored, rejected, skipped, dropped, pending: events - stored - this.settled };
  }
}

export const zeroCounters = (): SourceCounters => ({ received: 0, events: 0, stored: 0, rejected: 0, skipped: 0, dropped: 0, pending: 0 });

export class CounterBoard {
  private readonly tallies = new Map<string, SourceTally>();
  private waiter: { promise: Promise<void>; resolve: () => void } | null = null;

  of(source: string): SourceTally {
    let t = this.tallies.get(source);
    if (!t) {
      t = new SourceTally();
      this.tallies.set(source, t);
    }
    return t;
  }

  snapshot(): CounterSnapshot {
    const total = zeroCounters();
    const sources: Record<string, SourceCounters> = {};
    const skips: CounterSnapshot['skips'] = {};
    for (const [name, t] of this.tallies) {
      const s = t.snapshot();
      sources[name] = s;
      if (t.skips.total > 0) skips[name] = t.skips.list();
      for (const k of Object.keys(total) as (keyof SourceCounters)[]) total[k] += s[k];
    }
    return { total, sources, skips };
  }

  /** Wakes whoever awaits {@link changed}; called after every change. */
  notify(): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve();
    }
  }

  /** Resolves at the next change of any counter: tests and monitors await this instead of sleeping. */
  changed(): Promise<void> {
    if (!this.waiter) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.waiter = { promise, resolve };
    }
    return this.waiter.promise;
  }
}

/** One line for logs: `received 10, stored 9, …`. */
export function countersLine(c: SourceCounters): string {
  return `received ${c.received}, events ${c.events}, stored ${c.stored}, rejected ${c.rejected}, skipped ${c.skipped}, dropped ${c.dropped}, pending ${c.pending}`;
}
