import { IANAZone } from 'luxon';
import { isoMs, type EpochMs } from './time.js';

export interface WallTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

/**
 * What a wall-clock time in a zone means: one instant, two (the repeated hour when DST ends),
 * or none (the hour skipped when DST starts).
 */
export type ZonedResult =
  | { kind: 'instants'; instants: EpochMs[] }
  | { kind: 'skipped' }
  | { kind: 'invalid'; reason: string };

const zoneCache = new Map<string, IANAZone | null>();

/** The longest IANA zone name is 32 characters; anything past this is not a zone. */
export const MAX_ZONE_NAME = 64;

/** An IANA zone by name, or null when the name is not a zone. */
export function zoneByName(name: string): IANAZone | null {
  // refused before the cache: a caller must not be able to park long strings in it
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_ZONE_NAME) return null;
  let z = zoneCache.get(name);
  if (z === undefined) {
    z = IANAZone.isValidZone(name) ? IANAZone.create(name) : null;
    if (zoneCache.size < 1000) zoneCache.set(name, z);
  }
  return z;
}

const HOUR_MS = 3_600_000;
/** A bucket whose hour holds an offset change: asked of the zone each time. */
const MIXED = Number.NaN;
const MAX_HOURS_PER_ZONE = 100_000;
const offsetCache = new Map<IANAZone, Map<number, number>>();

/**
 * The zone's offset (minutes east) at an instant, kept per zone and UTC hour: luxon asks Intl
 * (formatToParts) on every call, about 2 µs, and a local time in a query needs four. An hour is
 * kept only when the offset is the same at its first and last millisecond; an hour holding a
 * change (they are never less than hours apart) is asked every time, so the answer is luxon's.
 */
export function zoneOffset(zone: IANAZone, ms: EpochMs): number {
  let hours = offsetCache.get(zone);
  if (hours === undefined) {
    hours = new Map();
    offsetCache.set(zone, hours);
  }
  const hour = Math.floor(ms / HOUR_MS);
  const known = hours.get(hour);
  if (known !== undefined) return Number.isNaN(known) ? zone.offset(ms) : known;
  if (!Number.isFinite(hour)) return zone.offset(ms);
  const first = zone.offset(hour * HOUR_MS);
  const last = zone.offset(hour * HOUR_MS + HOUR_MS - 1);
  if (hours.size >= MAX_HOURS_PER_ZONE) hours.clear();
  hours.set(hour, first === last ? first : MIXED);
  return first === last ? first : zone.offset(ms);
}

/** Converts a wall-clock time in an IANA zone to the instant(s) it names. */
export function wallTimeToInstants(t: WallTime, zoneName: string): ZonedResult {
  const zone = zoneByName(zoneName);
  if (!zone) return { kind: 'invalid', reason: `unknown time zone ${JSON.stringify(zoneName)} (use an IANA name such as Europe/Copenhagen)` };
  const asUtc = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second, t.millisecond);
  const back = new Date(asUtc);
  if (
    !Number.isFinite(asUtc) || back.getUTCFullYear() !== t.year || back.getUTCMonth() !== t.month - 1 ||
    back.getUTCDate() !== t.day || back.getUTCHours() !== t.hour || back.getUTCMinutes() !== t.minute ||
    back.getUTCSeconds() !== t.second
  ) {
    return { kind: 'invalid', reason: 'no such date or time of day' };
  }
  // Offsets change at most once in any 12 hours, so the offsets half a day either side are
  // the only ones the wall time can have; each is kept when the zone really has it there.
  const found = new Set<EpochMs>();
  for (const probe of [asUtc - 12 * 3600_000, asUtc + 12 * 3600_000]) {
    const offsetMin = zoneOffset(zone, probe);
    const candidate = asUtc - offsetMin * 60_000;
    if (zoneOffset(zone, candidate) === offsetMin) found.add(candidate);
  }
  if (found.size === 0) return { kind: 'skipped' };
  return { kind: 'instants', instants: [...found].sort((a, b) => a - b) };
}

/** The instant shown in a zone, as ISO 8601 with its offset. */
export function isoInZone(ms: EpochMs, zoneName: string): string {
  // most answers are asked in UTC: no zone database needed, and the text is the canonical one
  if (zoneName === 'UTC') return isoMs(ms);
  const zone = zoneByName(zoneName);
  const offsetMin = zone ? zoneOffset(zone, ms) : 0;
  const shifted = isoMs(ms + offsetMin * 60_000).slice(0, 23);
  if (offsetMin === 0) return `${shifted}Z`;
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${shifted}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * The instant a device's zone-less timestamp names, or the reason it cannot be used. A wall
 * time in the repeated DST hour names two instants an hour apart; guessing one could attribute
 * a port to the wrong subscriber, so it is refused and the record rejected (unless the record
 * carries an epoch or offset of its own, which parsers prefer).
 */
export function deviceLocalInstant(t: WallTime, zoneName: string): EpochMs | string {
  const r = wallTimeToInstants(t, zoneName);
  if (r.kind === 'invalid') return r.reason;
  if (r.kind === 'skipped') return `local time does not exist in ${zoneName} (skipped by the DST change)`;
  if (r.instants.length > 1) return `local time occurs twice in ${zoneName} (repeated DST hour); configure the device to log UTC or an offset`;
  return r.instants[0];
}

/**
 * UTC offsets (minutes east) of the zone abbreviations devices write after a local time (Kea's
 * `%Z`, RADIUS v3 Event-Timestamp). An abbreviation is not a zone: several name more than one
 * offset (CST is US Central, Cuba and China), so each lists every offset it is used for, and a
 * caller takes it as meaning one only where it has exactly one, or where the source's zone
 * picks one of them. Only abbreviations in current use by tz and glibc are listed; one not
 * here is unknown, never guessed.
 */
const ABBREVIATIONS: Readonly<Record<string, readonly number[]>> = {
  UTC: [0], UT: [0], GMT: [0], Z: [0], WET: [0], WEST: [60], BST: [60], IST: [330, 60, 120],
  CET: [60], CEST: [120], MET: [60], MEST: [120], EET: [120], EEST: [180], MSK: [180], MSD: [240],
  SAST: [120], CAT: [120], EAT: [180], WAT: [60],
  PKT: [300], NPT: [345], HKT: [480], SGT: [480], AWST: [480], PHT: [480], WIB: [420], WITA: [480], WIT: [540],
  JST: [540], KST: [540], ACST: [570], ACDT: [630], AEST: [600], AEDT: [660], NZST: [720], NZDT: [780],
  HST: [-600], AKST: [-540], AKDT: [-480], PST: [-480], PDT: [-420], MST: [-420], MDT: [-360],
  CST: [-360, -300, 480], CDT: [-300, -240], EST: [-300], EDT: [-240], AST: [-240, 180], ADT: [-180],
  NST: [-210], NDT: [-150],
};

/** The offsets (minutes east of UTC) a zone abbreviation is used for; undefined when unknown. */
export function abbreviationOffsets(abbr: string): readonly number[] | undefined {
  return Object.hasOwn(ABBREVIATIONS, abbr) ? ABBREVIATIONS[abbr] : undefined;
}

/** `+01:00` for 60 minutes east. */
export function offsetText(minutes: number): string {
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** `2026-10-25 02:30:00`, as a reason names a wall time. */
export function wallText(t: WallTime): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${t.year}-${p(t.month)}-${p(t.day)} ${p(t.hour)}:${p(t.minute)}:${p(t.second)}`;
}

/** The UTC offset of a zone at an instant, in minutes east; null for an unknown zone. */
export function zoneOffsetAt(zoneName: string, ms: EpochMs): number | null {
  const zone = zoneByName(zoneName);
  return zone ? zoneOffset(zone, ms) : null;
}
