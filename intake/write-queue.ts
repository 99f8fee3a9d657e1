import type { CanonicalEvent } from '../events/schema.js';
import { defaultRetryDelay, storeEvents, type StoreResult } from './store-queue.js';
import type { WriteOutcome } from '../timeindex/writer.js';
import type { SourceStats } from './source-stats.js';

/**
 * The events between the parsers and Redis. One write is in flight at a time; small batches
 * queued meanwhile (timer flushes of many sources) go out together in the next one. A write
 * that throws, and the events of a write that Redis could not take (connection lost, loading,
 * out of memory: the writer marks them transient), are retried with backoff until Redis
 * takes them; the index's merge makes a repeated write harmless, so a retry cannot
 * double-count. Only an event the store refuses for itself (older than retention, a script
 * error) is given up.
 */

export interface QueuedBatch {
  source: string;
  events: CanonicalEvent[];
  /** Each event's message number within its source, for rejects. */
  seqs: number[];
}

export interface WriteQueueOptions {
  write(events: readonly CanonicalEvent[]): Promise<WriteOutcome>;
  /** Events per write at most (batches are not split); default 2000. */
  maxWrite?: number;
  /** Delay before retry number `attempt` (1, 2, …); default 100 ms doubling to 5 s. */
  retryDelayMs?: (attempt: number) => number;
  onStored(source: string, count: number): void;
  /** An event the store refused (older than retention, a script error), or one given up at shutdown. */
  onRefused(source: string, seq: number, event: CanonicalEvent, reason: string): void;
  onRetry?(err: Error, attempt: number, delayMs: number): void;
  /** Per-source counts in Redis (events stored, refusals by reason), under each batch's source. */
  stats?: SourceStats;
  /** After every write settles (the caller resumes paused inputs from here). */
  onSettled?(): void;
}

export { defaultRetryDelay };

export class WriteQueue {
  /** Events queued or in flight. */
  pending = 0;
  /** Consecutive failed attempts of the write in flight; 0 when Redis is answering. */
  failures = 0;
  lastError: Error | null = null;
  private readonly items: QueuedBatch[] = [];
  private running = false;
  private abandoned: string | null = null;
  private idleWaiters: Array<() => void> = [];
  private wakeRetry: (() => void) | null = null;

  constructor(private readonly o: WriteQueueOptions) {}

  push(b: QueuedBatch): void {
    if (b.events.length === 0) return;
    if (this.abandoned !== null) return this.refuse([b], this.abandoned);
    this.items.push(b);
    this.pending += b.events.length;
    if (!this.running) void this.run();
  }

  /** Resolves once everything queued so far (and since) has been stored or refused. */
  idle(): Promise<void> {
    if (this.pending === 0 && !this.running) return Promise.resolve();
    return new Promise((done) => this.idleWaiters.push(done));
  }

  /**
   * Stops retrying: what is queued, and the write in flight if it fails, is refused with
   * `reason` (so it lands in the rejects file, not nowhere). For shutting down while Redis is away.
   */
  abandon(reason: string): void {
    this.abandoned = reason;
    const items = this.items.splice(0);
    for (const b of items) this.pending -= b.events.length;
    this.refuse(items, reason);
    this.wakeRetry?.();
    if (!this.running && this.pending === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private refuse(items: QueuedBatch[], reason: string): void {
    for (const b of items) b.events.forEach((e, i) => this.o.onRefused(b.source, b.seqs[i], e, reason));
  }

  private take(): QueuedBatch[] {
    const max = this.o.maxWrite ?? 2000;
    const out: QueuedBatch[] = [];
    let n = 0;
    while (this.items.length > 0 && (out.length === 0 || n + this.items[0].events.length <= max)) {
      const b = this.items.shift()!;
      n += b.events.length;
      out.push(b);
    }
    return out;
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      for (;;) {
        const group = this.take();
        if (group.length === 0) break;
        await this.writeGroup(group);
        this.o.onSettled?.();
      }
    } finally {
      this.running = false;
      if (this.pending === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private async writeGroup(group: QueuedBatch[]): Promise<void> {
    const items: Array<{ b: QueuedBatch; i: number }> = [];
    for (const b of group) for (let i = 0; i < b.events.length; i++) items.push({ b, i });
    const settled = new Array<boolean>(items.length).fill(false);
    const refuse = (k: number, reason: string) => {
      settled[k] = true;
      this.pending--;
      const { b, i } = items[k];
      this.o.onRefused(b.source, b.seqs[i], b.events[i], reason);
    };
    let result: StoreResult;
    try {
      result = await storeEvents(this.o.write, items.map(({ b, i }) => b.events[i]), { delayMs: this.o.retryDelayMs ?? defaultRetryDelay }, {
        onStored: (positions) => {
          const stored = new Map<string, number>();
          for (const k of positions) {
            settled[k] = true;
            const source = items[k].b.source;
            stored.set(source, (stored.get(source) ?? 0) + 1);
          }
          this.pending -= positions.length;
          for (const [source, n] of stored) this.o.onStored(source, n);
        },
        onRefused: (k, f) => refuse(k, f.reason),
        stats: this.o.stats,
        sourceOf: (k) => items[k].b.source,
        stopReason: () => this.abandoned,
        onRetry: (error, attempt, delay) => {
          this.failures = attempt;
          this.lastError = new Error(error);
          this.o.onRetry?.(this.lastError, attempt, delay);
        },
        sleep: (ms) =>
          new Promise<void>((done) => {
            const t = setTimeout(done, ms);
            this.wakeRetry = () => {
              clearTimeout(t);
              done();
            };
          }).finally(() => (this.wakeRetry = null)),
      });
    } catch (err) {
      // Not Redis being away (that is retried above) but an error no retry mends: the events go
      // to the rejects file with the reason, where they can be ingested again, not nowhere.
      const reason = `not stored: ${(err as Error).message}`;
      result = { left: [], error: reason, stoppedBy: null };
      settled.forEach((done, k) => done || refuse(k, reason));
    }
    for (const k of result.left) refuse(k, this.abandoned ?? result.error ?? 'not stored');
    this.failures = 0;
  }
}
