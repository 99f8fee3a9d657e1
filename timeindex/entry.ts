import { BASIS_MASK, BUCKET_MS, bucketOf, END_BASIS_NAMES, EndBasisCode, FLAG, type EndBasis } from './format.js';

/** One stored holding, decoded (the member layout is in docs/time-index.md). */
export interface Entry {
  start: number;
  /** End instant; null while open. For an orphan end, its own time. */
  end: number | null;
  basis: EndBasisCode;
  endBasis: EndBasis;
  lastSeen: number | null;
  startInferred: boolean;
  /** A release whose start is missing: it covers back to the entry before it. */
  orphan: boolean;
  profile: number;
  who: Buffer;
  /**
   * Set when the source said this holding ended without saying when (a Kea deletion row): the
   * last known activity. The end lies between it and `end` (docs/time-index.md, "Bounded ends").
   */
  endNotBefore?: number;
}

export function decodeEntry(start: number, member: Buffer): Entry {
  const flags = member[0];
  // the profile id is a varint: one byte below 128, else two with the high bit set
  const wide = member[1] >= 128;
  const profile = wide ? ((member[1] - 128) << 8) | member[2] : member[1];
  const at = wide ? 3 : 2;
  const delta = member.readUInt32BE(at);
  const basis = (flags & BASIS_MASK) as EndBasisCode;
  const open = basis === EndBasisCode.Open;
  // member times count from the start of the entry's bucket, or are epoch seconds (docs/time-index.md)
  const t = flags & FLAG.LONG ? delta * 1000 : bucketOf(start) * BUCKET_MS + delta;
  return {
    start,
    end: open ? null : t,
    basis,
    endBasis: END_BASIS_NAMES[basis],
    lastSeen: open ? Math.max(t, start) : null,
    startInferred: (flags & FLAG.INFERRED) !== 0,
    orphan: (flags & FLAG.ORPHAN) !== 0,
    profile,
    who: member.subarray(at + 4),
  };
}

/**
 * Narrows the holdings that bounded ends (`<epoch ms>|<holder>`, as the lease hop returns them)
 * fall in: the earliest such end of a holding is the last instant it is known to have run.
 */
export function applyBounds(entries: Entry[], bounds: Buffer[]): void {
  for (const b of bounds) {
    const text = b.toString('utf8');
    const cut = text.indexOf('|');
    const t = Number(text.slice(0, cut));
    const who = text.slice(cut + 1);
    let holding: Entry | undefined;
    for (const e of entries) {
      if (e.orphan || e.start > t || (e.end !== null && e.end < t) || e.who.toString('utf8') !== who) continue;
      if (!holding || e.start > holding.start) holding = e;
    }
    if (holding && !(holding.endNotBefore! <= t)) holding.endNotBefore = t;
  }
}

/** Reads `start, member, start, member, …` from a script reply into entries, oldest first. */
export function decodePairs(reply: Array<Buffer | number>, from: number, count: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i < from + count * 2; i += 2) out.push(decodeEntry(Number(reply[i]), reply[i + 1] as Buffer));
  return out.sort((a, b) => a.start - b.start);
}
