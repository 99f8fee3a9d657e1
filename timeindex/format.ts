/**
 * The numbers of the stored format (docs/time-index.md): bucket width, end-basis codes and the
 * flag bits of a member. timeindex/lua/includes/format.lua holds the same values for the
 * scripts; test/timeindex/format.test.ts checks that the two agree.
 */

/** A bucket is 2^31 ms, so a start relative to its bucket fits a 32-bit listpack integer. */
export const BUCKET_MS = 2 ** 31;

/** The largest time a member stores relative to its bucket (a u32). */
export const U32_MAX = 2 ** 32 - 1;

/** The key beside a lease chain that holds its bounded ends: the chain prefix and this. */
export const BOUNDS_SUFFIX = 'u';

export function bucketOf(ms: number): number {
  return Math.floor(ms / BUCKET_MS);
}

/** Bits 0-2 of a member's flags byte. */
export const enum EndBasisCode {
  Open = 0,
  Released = 1,
  Superseded = 2,
  Scheduled = 3,
  Expired = 4,
  Stop = 5,
  Orphaned = 6,
}

/** The end basis codes by their names in format.lua, for the agreement test. */
export const END_BASIS_CODES = {
  OPEN: EndBasisCode.Open,
  RELEASED: EndBasisCode.Released,
  SUPERSEDED: EndBasisCode.Superseded,
  SCHEDULED: EndBasisCode.Scheduled,
  EXPIRED: EndBasisCode.Expired,
  STOP: EndBasisCode.Stop,
  ORPHANED: EndBasisCode.Orphaned,
} as const;

export const BASIS_MASK = 7;

/** The flag bits above the end basis. */
export const FLAG = {
  /** The start was inferred from a sighting, not logged. */
  INFERRED: 8,
  /** An end whose start is missing. */
  ORPHAN: 16,
  /** The last sighting of an open entry was a real start (a cut brings it back as one). */
  SEEN_START: 32,
  /** The u32 is whole epoch seconds, not ms from the bucket's start. */
  LONG: 64,
} as const;

export type EndBasis = 'open' | 'released' | 'superseded' | 'scheduled' | 'expired' | 'stop';

export const END_BASIS_NAMES: readonly EndBasis[] = ['open', 'released', 'superseded', 'scheduled', 'expired', 'stop', 'superseded'];
