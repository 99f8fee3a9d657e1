import { isTransientError } from '../redis/errors.js';
import type { CanonicalEvent } from '../events/schema.js';
import type { WriteFailure } from '../timeindex/codes.js';
import type { WriteOutcome } from '../timeindex/writer.js';
import type { SourceStats } from './source-stats.js';

/**
 * The one way events reach the time index, shared by `whohad ingest`, the live collector and
 * HTTP ingest: each event of a write is stored, refused by the store for itself (older than
 * retention, a script error: reported, never retried), or not taken because Redis was away or
 * busy (retried with backoff when the caller has a retry policy; the index's merge makes a
 * repeated write harmless, so a retry cannot double-count).
 */

/** Why one event was not stored, and whether trying again can help: the writer's own verdict. */
export type StoreFailure = Omit<WriteFailure, 'index'>;

export type Write = (events: readonly CanonicalEvent[]) => Promise<WriteOutcome>;

export interface RetryPolicy {
  /** Delay before retry number `attempt` (1, 2, …). */
  delayMs(attempt: number): number;
  /** Stop retrying once this long has passed since the first attempt; default never. */
  giveUpAfterMs?: number;
}

/** 100 ms doubling to 5 s: quick after a blip, gentle on a Redis that is restarting. */
export const defaultRetryDelay = (attempt: number) => Math.min(100 * 2 ** (attempt - 1), 5000);

export interface StoreHooks {
  /** Positions (in the events given) Redis has taken. */
  onStored?(positions: number[]): void;
  onRefused?(position: number, failure: StoreFailure): void;
  /** Before each wait: what was not taken, and how long until the next attempt. */
  onRetry?(error: string, attempt: number, delayMs: number, left: number): void;
  /** Asked after every failed attempt: a reason to stop retrying now, or null. */
  stopReason?(): string | null;
  /** How to wait between attempts (a queue that can be woken passes its own). */
  sleep?(ms: number): Promise<void>;
  now?(): number;
  /** Per-source counts in Redis: events stored and refusals by reason, written once per call. */
  stats?: SourceStats;
  /** The source an event (by position) is counted under; default the event's own `source`. */
  sourceOf?(position: number): string;
}

export interface StoreResult {
  /** Positions still not taken when the queue stopped: empty unless it gave up or was stopped. */
  left: number[];
  /** The last reason Redis did not take them. */
  error: string | null;
  /** Why retrying stopped: no retry policy, the policy's deadline, or the hooks' stopReason. */
  stoppedBy: 'no_retry' | 'deadline' | string | null;
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/**
 * Writes `events` until each is stored or refused, or retrying stops. A write that throws a
 * transient error (Redis away) counts as every event not taken; any other thrown error is a bug
 * or a misconfiguration no retry can mend, and is thrown to the caller. Without a retry policy
 * (HTTP: the client retries) a thrown error of either kind is thrown as it is.
 */
export async function storeEvents(write: Write, events: readonly CanonicalEvent[], policy: RetryPolicy | null, hooks: StoreHooks = {}): Promise<StoreResult> {
  const stats = hooks.stats;
  if (!stats) return storeLoop(write, events, policy, hooks);
  const sourceOf = hooks.sourceOf ?? ((i: number) => events[i].source);
  const counted: StoreHooks = {
    ...hooks,
    onStored(positions) {
      // per source: how many, and the latest event time (a report's data freshness)
      const per = new Map<string, { n: number; latestAt: number }>();
      for (const p of positions) {
        const source = sourceOf(p);
        const t = per.get(source) ?? { n: 0, latestAt: 0 };
        t.n++;
        t.latestAt = Math.max(t.latestAt, events[p].at);
        per.set(source, t);
      }
      for (const [source, t] of per) stats.stored(source, t.n, t.latestAt);
      hooks.onStored?.(positions);
    },
    onRefused(position, failure) {
      stats.reason(sourceOf(position), 'rejected', `store ${failure.code}`);
      hooks.onRefused?.(position, failure);
    },
  };
  try {
    return await storeLoop(write, events, policy, counted);
  } finally {
    // never awaited: counting must not hold up, nor fail, a store (a failed flush is retried with the next)
    void stats.flush();
  }
}

async function storeLoop(write: Write, events: readonly CanonicalEvent[], policy: RetryPolicy | null, hooks: StoreHooks): Promise<StoreResult> {
  const now = hooks.now ?? Date.now;
  const since = now();
  let left = events.map((_, i) => i);
  for (let attempt = 1; left.length > 0; attempt++) {
    let error: string | null = null;
    let retry: number[] = [];
    try {
      const out = await write(left.map((i) => events[i]));
      const failed = new Map(out.failed.map((f) => [f.index, f]));
      const stored: number[] = [];
      left.forEach((position, k) => {
        const f = failed.get(k);
        if (f === undefined) stored.push(position);
        else if (f.transient) {
          retry.push(position);
          error ??= f.reason;
        } else hooks.onRefused?.(position, f);
      });
      if (stored.length > 0) hooks.onStored?.(stored);
    } catch (err) {
      const message = (err as Error).message;
      if (policy === null || !isTransientError(err)) throw err;
      error = message;
      retry = left;
    }
    left = retry;
    if (left.length === 0) break;
    if (policy === null) return { left, error, stoppedBy: 'no_retry' };
    const stop = hooks.stopReason?.() ?? (policy.giveUpAfterMs !== undefined && now() - since >= policy.giveUpAfterMs ? 'deadline' : null);
    if (stop !== null) return { left, error, stoppedBy: stop };
    const delay = policy.delayMs(attempt);
    hooks.onRetry?.(error ?? 'not stored', attempt, delay, left.length);
    await (hooks.sleep ?? sleep)(delay);
  }
  return { left: [], error: null, stoppedBy: null };
}
