import { isoMs, type EpochMs } from '../core/time.js';
import { abbreviationOffsets, offsetText, wallText, wallTimeToInstants, zoneOffsetAt, type WallTime } from '../core/zoned.js';

/**
 * How far a source's line may run behind the one before it and still count as "in time order":
 * devices with several threads and relays over UDP write lines seconds out of order, never
 * minutes.
 */
export const REORDER_MS = 60_000;

/**
 * The longest silence assumed between two lines of a source when a repeated-hour time is
 * decided by order for its first reading. Past it, the second reading (an hour later) is as
 * plausible, and the line is refused rather than guessed.
 */
export const CONTINUITY_MS = 15 * 60_000;

/** What a source's times needed a zone for, shown in every ingest summary. */
export interface ZoneUse {
  /** The configured zone, null when the source has none. */
  zone: string | null;
  /** Timestamps read on that zone's wall clock (they carried no zone of their own). */
  wallTimes: number;
  /** Of those, times in the repeated DST hour decided by the order of the source's lines. */
  decidedByOrder: number;
  /** Timestamps that carried their own offset or zone abbreviation, or were UTC by definition. */
  ownZone: number;
}

/**
 * One line for a summary: which zone was applied, and to how many timestamps (a line may hold
 * two, a syslog header and the record's own). Times refused are rejects, which say why.
 */
export function describeZoneUse(u: ZoneUse): string {
  if (u.zone === null) return `zone: none configured; ${u.ownZone} time(s) carried their own offset or abbreviation`;
  const order = u.decidedByOrder > 0 ? ` (${u.decidedByOrder} in the repeated DST hour decided by the order of the lines)` : '';
  return `zone: ${u.zone} applied to ${u.wallTimes} time(s) without a zone${order}; ${u.ownZone} carried their own`;
}

/**
 * The clock of one source: turns the times its lines write into instants, and keeps what is
 * needed to do that without guessing.
 *
 * - A time with an offset, or UTC by definition, is an instant as it stands.
 * - A time with a zone abbreviation (Kea's `%Z`) is read at the offset the abbreviation names:
 *   with a zone configured, the one of the zone's offsets at that wall time that the
 *   abbreviation is used for (so `02:30 CEST` and `02:30 CET` in the repeated hour are two
 *   instants an hour apart); with none, the abbreviation's own offset when it has only one.
 * - A time with no zone needs the configured zone; with none it is refused, never read as UTC.
 *   A wall time the DST change skipped is refused, naming it. A wall time of the repeated hour
 *   is decided by the order of the source's lines where that order decides it (see
 *   {@link ZoneClock.local}), else refused naming the ambiguity.
 *
 * One clock per parser, so per source and file: the order it relies on is that of one
 * device's own lines.
 */
export class ZoneClock {
  readonly use: ZoneUse;
  /** The instant of the source's latest line whose time was known, for deciding by order. */
  private last: EpochMs | undefined;
  // Offsets (minutes east) of each wall-clock minute already seen, or why it has none: a log
  // walks forward in time, so nearly every line hits and the zone database runs about once a
  // minute of log. Offsets change on whole minutes in every zone since 1970.
  private readonly memo = new Map<number, readonly number[] | string>();

  /**
   * `zone`: the source's configured IANA zone, or undefined. `what`: how its zone-less times are
   * named in a reject, e.g. "BSD syslog header time".
   */
  constructor(
    zone: string | undefined,
    private readonly what = 'time',
  ) {
    this.use = { zone: zone ?? null, wallTimes: 0, decidedByOrder: 0, ownZone: 0 };
  }

  get zone(): string | null {
    return this.use.zone;
  }

  /** Notes an instant the line carried itself (an epoch, an offset): counted, and kept for ordering. */
  own(ms: EpochMs): EpochMs {
    this.use.ownZone++;
    this.last = ms;
    return ms;
  }

  /** Notes an instant read elsewhere on the same line (a body epoch), for ordering only. */
  saw(ms: EpochMs): void {
    this.last = ms;
  }

  /** A wall time written with a numeric offset (minutes east of UTC). */
  offset(t: WallTime, minutes: number): EpochMs | string {
    const wall = wallUtc(t);
    if (typeof wall === 'string') return (wall);
    return this.own(wall - minutes * 60_000);
  }

  /** A wall time written with a zone abbreviation (`CET`, `CEST`, `PST`). */
  abbreviated(t: WallTime, abbr: string): EpochMs | string {
    const wall = wallUtc(t);
    if (typeof wall === 'string') return (wall);
    const offsets = abbreviationOffsets(abbr);
    const zone = this.use.zone;
    if (zone === null) {
      if (offsets === undefined) {
        return (`${wallText(t)} ${abbr}: "${abbr}" is no zone abbreviation whohad knows, and no timezone is configured for this source: set timezone in its options or in defaults`);
      }
      if (offsets.length > 1) {
        return (`${wallText(t)} ${abbr}: "${abbr}" is used for several UTC offsets (${offsets.map(offsetText).join(', ')}), and no timezone is configured for this source to say which: set timezone in its options or in defaults`);
      }
      return this.own(wall - offsets[0] * 60_000);
    }
    // An abbreviation whohad does not know cannot contradict the zone: the zone decides.
    if (offsets === undefined) return this.local(t);
    const fits = offsets.filter((o) => zoneOffsetAt(zone, wall - o * 60_000) === o);
    if (fits.length === 1) return this.own(wall - fits[0] * 60_000);
    if (fits.length > 1) return this.local(t);
    const actual = this.zoneOffsets(t, wall);
    const there = typeof actual === 'string' ? actual : `it is ${actual.map(offsetText).join(' or ')} there then`;
    return (`${wallText(t)} ${abbr}: "${abbr}" (${offsets.map(offsetText).join(' or ')}) is not an offset of ${zone} at that time (${there}): the device's zone and the source's timezone disagree`);
  }

  /**
   * A wall time with no zone, in the configured zone. In the repeated DST hour it has two
   * readings, the first pass (summer offset) and the second an hour later. The source's lines
   * are in time order, so with `p` the instant of its previous line:
   * - the first reading is before `p` (beyond {@link REORDER_MS}): it is the second pass (the
   *   wall clock went back, as when the previous line was in the first pass and this one is
   *   earlier on the wall clock, or the previous line was already in the second pass);
   * - the first reading follows `p` within {@link CONTINUITY_MS}: it is the first pass (the
   *   second would mean the source was silent for over an hour);
   * - otherwise (no previous line, or a longer silence) nothing decides: refused, naming the
   *   ambiguity. Never a whole hour dropped: only lines that order cannot place.
   */
  local(t: WallTime): EpochMs | string {
    const zone = this.use.zone;
    if (zone === null) {
      return (`${this.what} ${wallText(t)} carries no zone and no timezone is configured for this source: set timezone in its options or in defaults (UTC if the device logs UTC)`);
    }
    const wall = wallUtc(t);
    if (typeof wall === 'string') return (wall);
    const offsets = this.zoneOffsets(t, wall);
    if (typeof offsets === 'string') return (offsets);
    if (offsets.length === 1) {
      this.use.wallTimes++;
      this.last = wall - offsets[0] * 60_000;
      return this.last;
    }
    // Two readings; the larger offset is the summer one, so it comes first in time.
    const first = wall - Math.max(...offsets) * 60_000;
    const second = wall - Math.min(...offsets) * 60_000;
    const p = this.last;
    const named = `local time ${wallText(t)} occurs twice in ${zone} (${offsetText(Math.max(...offsets))}, then ${offsetText(Math.min(...offsets))}: the repeated DST hour)`;
    let chosen: EpochMs | null = null;
    let why: string;
    if (p === undefined) {
      why = 'no earlier line of this source decides which';
    } else if (first < p - REORDER_MS) {
      if (second >= p - REORDER_MS) chosen = second;
      why = `both readings are before the previous line of this source (${isoMs(p)}): lines out of time order`;
    } else if (first - p <= CONTINUITY_MS) {
      chosen = first;
      why = '';
    } else {
      why = `the previous line of this source (${isoMs(p)}) is over ${CONTINUITY_MS / 60_000} minutes before the first reading, too long ago to decide by order`;
    }
    if (chosen === null) return (`${named} and ${why}; configure the device to log UTC or an offset`);
    this.use.wallTimes++;
    this.use.decidedByOrder++;
    this.last = chosen;
    return chosen;
  }


  private zoneOffsets(t: WallTime, wall: number): readonly number[] | string {
    const minute = wall - t.second * 1000 - t.millisecond;
    let offsets = this.memo.get(minute);
    if (offsets === undefined) {
      const r = wallTimeToInstants({ ...t, second: 0, millisecond: 0 }, this.use.zone!);
      if (r.kind === 'invalid') offsets = r.reason;
      else if (r.kind === 'skipped') offsets = `local time ${wallText(t)} does not exist in ${this.use.zone} (skipped when the clocks went forward)`;
      else offsets = r.instants.map((i) => (minute - i) / 60_000);
      if (this.memo.size >= 4096) this.memo.clear();
      this.memo.set(minute, offsets);
    }
    return offsets;
  }
}

/** The wall time's fields as if they were UTC, checked against the calendar. */
function wallUtc(t: WallTime): number | string {
  const ms = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second, t.millisecond);
  const d = new Date(ms);
  if (
    !Number.isFinite(ms) || d.getUTCFullYear() !== t.year || d.getUTCMonth() !== t.month - 1 || d.getUTCDate() !== t.day ||
    d.getUTCHours() !== t.hour || d.getUTCMinutes() !== t.minute || d.getUTCSeconds() !== t.second
  ) {
    return `no such date or time of day: ${wallText(t)}`;
  }
  return ms;
}
