import { isTransientError } from '../redis/errors.js';
import type { CanonicalEvent } from '../events/schema.js';
import type { WriteFailure } from '../timeindex/codes.js';
import type { WriteOutcome } from '../timeindex/writer.js';
import type { RedisClient } from '../redis/cluster.js';
import { recordLastEvents } from './last-event.js';

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
  /** Where to record each source's last stored event (intake/last-event.ts), once per call. */
  freshness?: RedisClient;
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
  const redis = hooks.freshness;
  if (!redis) return storeLoop(write, events, policy, hooks);
  const stored: CanonicalEvent[] = [];
  const result = await storeLoop(write, events, policy, {
    ...hooks,
    onStored(positions) {
      for (const p of positions) stored.push(events[p]);
      hooks.onStored?.(positions);
    },
  });
  // freshness is a report's footnote: failing to note it must not fail, nor hold up, a store
  await recordLastEvents(redis, stored).catch(() => undefined);
  return result;
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
