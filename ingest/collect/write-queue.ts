import { isTransient } from '../../redis/errors.js';
import type { CanonicalEvent } from '../../schemas/events.js';
import type { WriteOutcome } from '../../timeindex/writer.js';

/**
 * The events between the parsers and Redis. One write is in flight at a time; small batches
 * queued meanwhile (timer flushes of many sources) go out together in the next one. A write
 * that throws, and the events of a write that Redis could not take (connection lost, loading,
 * out of memory: see `isTransient` in redis/errors.ts), are retried with backoff until
 * Redis takes them; the index's merge makes a repeated write harmless, so a retry cannot
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
  write(events: CanonicalEvent[]): Promise<WriteOutcome>;
  /** Events per write at most (batches are not split); default 2000. */
  maxWrite?: number;
  /** Delay before retry number `attempt` (1, 2, …); default 100 ms doubling to 5 s. */
  retryDelayMs?: (attempt: number) => number;
  onStored(source: string, count: number): void;
  /** An event the store refused (older than retention, a script error), or one given up at shutdown. */
  onRefused(source: string, seq: number, event: CanonicalEvent, reason: string): void;
  onRetry?(err: Error, attempt: number, delayMs: number): void;
  /** After every write settles (the caller resumes paused inputs from here). */
  onSettled?(): void;
}

export const defaultRetryDelay = (attempt: number) => Math.min(100 * 2 ** (attempt - 1), 5000);

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
    let left: Array<{ b: QueuedBatch; i: number }> = [];
    for (const b of group) for (let i = 0; i < b.events.length; i++) left.push({ b, i });
    for (let attempt = 1; left.length > 0; attempt++) {
      const events = left.map(({ b, i }) => b.events[i]);
      let error: Error | null = null;
      const retry: typeof left = [];
      try {
        const outcome = await this.o.write(events);
        const failed = new Map(outcome.failed.map((f) => [f.index, f.reason]));
        const stored = new Map<string, number>();
        left.forEach((x, k) => {
          const reason = failed.get(k);
          if (reason === undefined) stored.set(x.b.source, (stored.get(x.b.source) ?? 0) + 1);
          else if (isTransient(reason)) {
            retry.push(x);
            error ??= new Error(reason);
          } else this.o.onRefused(x.b.source, x.b.seqs[x.i], x.b.events[x.i], reason);
        });
        this.pending -= left.length - retry.length;
        for (const [source, n] of stored) this.o.onStored(source, n);
      } catch (err) {
        error = err as Error;
        retry.push(...left);
      }
      left = retry;
      if (left.length === 0) break;
      this.failures = attempt;
      this.lastError = error;
      if (this.abandoned !== null) {
        this.pending -= left.length;
        for (const { b, i } of left) this.o.onRefused(b.source, b.seqs[i], b.events[i], this.abandoned);
        break;
      }
      const delay = (this.o.retryDelayMs ?? defaultRetryDelay)(attempt);
      this.o.onRetry?.(error!, attempt, delay);
      await new Promise<void>((done) => {
        const t = setTimeout(done, delay);
        this.wakeRetry = () => {
          clearTimeout(t);
          done();
        };
      });
      this.wakeRetry = null;
    }
    this.failures = 0;
  }
}
