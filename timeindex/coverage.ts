import type { Entry } from './entry.js';
import { EndBasisCode } from './format.js';

/**
 * What an entry of a chain covers, as a closed range of instants [from, to]: a holding
 * [start, end) covers up to end - 1 ms; an orphan end covers back to just after the entry
 * before it (its start is unknown), up to and including its own time.
 */
export interface Coverage {
  entry: Entry;
  from: number;
  to: number;
  /** Lower bound of an unknown start (orphans only). */
  notBefore: number | null;
}

const OBSERVED = new Set([EndBasisCode.Released, EndBasisCode.Expired, EndBasisCode.Stop]);

export function coverages(entries: Entry[]): Coverage[] {
  const out: Coverage[] = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (!e.orphan) {
      out.push({ entry: e, from: e.start, to: e.end === null ? Infinity : e.end - 1, notBefore: null });
      continue;
    }
    const prev = i > 0 ? entries[i - 1] : null;
    const after = prev === null ? -Infinity : !prev.orphan && OBSERVED.has(prev.basis) && prev.end !== null ? prev.end : prev.start;
    out.push({ entry: e, from: after + 1, to: e.start, notBefore: Number.isFinite(after) ? after + 1 : null });
  }
  return out;
}

export function intersects(c: { from: number; to: number }, from: number, to: number): boolean {
  return c.from <= to && c.to >= from;
}
