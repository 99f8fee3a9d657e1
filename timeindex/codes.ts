import { isTransientError } from '../redis/errors.js';

/**
 * Outcome codes of the time index's scripts, by their names in lua/includes/codes.lua (the
 * same table; test/timeindex/codes.test.ts checks that the two agree).
 */
export const SCRIPT_CODES = {
  COLLISION: 'holder_collision',
  UNSETTLED: 'merge_unsettled',
  PROFILES_FULL: 'profiles_full',
  FAULT: 'script_fault',
} as const;

export type ScriptCode = (typeof SCRIPT_CODES)[keyof typeof SCRIPT_CODES];

/**
 * Why a write did not store an event: a script's code, or what the writer itself decides
 * (`older_than_retention`), or what the Redis client reported for the whole call.
 */
export type WriteCode = ScriptCode | 'older_than_retention' | 'redis_unavailable' | 'redis_refused';

/** One event a write did not store. */
export interface WriteFailure {
  /** Position of the event in the batch. */
  index: number;
  /** Redis was away or busy: the same write may be sent again (merges are idempotent). */
  transient: boolean;
  code: WriteCode;
  /** For people: what was wrong and what to do. */
  reason: string;
}

// The chain is unchanged after each of these (the script undoes a failed event's writes), so
// sending the event again changes nothing either: they are reported, never retried.
const SCRIPT_REASONS: Record<ScriptCode, (detail: string) => string> = {
  holder_collision: (key) =>
    `not stored: two holdings of one holder collided in ${key}; the chain was left as it was. The index cannot keep both: report this event and the events of its address around that time`,
  merge_unsettled: (steps) =>
    `not stored: merging the event did not settle after ${steps} steps; the chain was left as it was. Report this event and the events of its address around that time`,
  profiles_full: (profile) =>
    `not stored: the profile dictionary {whohad}:dict holds 32767 distinct profiles (VRF, source and the ingest credential that writes), the most it can, and ${JSON.stringify(profile)} is not one of them; use fewer distinct source names or ingest tokens`,
  script_fault: (error) => `not stored: the time index script failed (${error}); the chain was left as it was. Report this event and the error`,
};

function isScriptCode(code: string): code is ScriptCode {
  return Object.hasOwn(SCRIPT_REASONS, code);
}

/** A script's per-event outcome other than 1: `[code, detail]`. */
export function scriptFailure(index: number, outcome: unknown): WriteFailure {
  const [code, detail] = Array.isArray(outcome) ? outcome.map(String) : [SCRIPT_CODES.FAULT, `unexpected reply ${JSON.stringify(outcome)}`];
  if (!isScriptCode(code)) return { index, transient: false, code: SCRIPT_CODES.FAULT, reason: SCRIPT_REASONS.script_fault(`unknown code ${code}: ${detail}`) };
  return { index, transient: false, code, reason: SCRIPT_REASONS[code](detail ?? '') };
}

/** A whole call failed in the client or in Redis: every event of it is reported with the message. */
export function clientFailure(index: number, err: Error): WriteFailure {
  const transient = isTransientError(err);
  return { index, transient, code: transient ? 'redis_unavailable' : 'redis_refused', reason: `not stored: ${err.message}` };
}

/** A failure of the index that is not about one event (the profile dictionary is full). */
export class IndexError extends Error {
  constructor(
    readonly code: ScriptCode,
    message: string,
  ) {
    super(message);
    this.name = 'IndexError';
  }
}

/** The error a script's `[code, detail]` reply stands for. */
export function indexError(outcome: unknown): IndexError {
  const f = scriptFailure(0, outcome);
  return new IndexError(f.code as ScriptCode, f.reason);
}
