/** Instants are UTC epoch milliseconds everywhere inside whohad. */
export type EpochMs = number;

/** The canonical text form of an instant: ISO 8601 UTC with milliseconds. */
export function isoMs(ms: EpochMs): string {
  return new Date(ms).toISOString();
}

/** Earliest and latest instants whohad stores: years 1970 to 9999 keep every encoding in range. */
export const MIN_INSTANT: EpochMs = 0;
export const MAX_INSTANT: EpochMs = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

// Date.parse accepts far more than ISO 8601 and rolls 30 February over into March, so the
// parts are read here and checked against the calendar.
const ISO_WITH_ZONE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)$/;

/** Parses an ISO 8601 instant that carries its own zone (Z or an offset); null otherwise. */
export function parseIsoInstant(text: string): EpochMs | null {
  if (typeof text !== 'string' || text.length > 40) return null;
  const m = ISO_WITH_ZONE.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '0', frac = '', zone] = m;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const local = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, ms);
  const check = new Date(local);
  if (
    check.getUTCFullYear() !== +y || check.getUTCMonth() !== +mo - 1 || check.getUTCDate() !== +d ||
    check.getUTCHours() !== +h || check.getUTCMinutes() !== +mi || check.getUTCSeconds() !== +s
  ) {
    return null;
  }
  let offsetMin = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = +digits.slice(0, 2);
    const om = digits.length > 2 ? +digits.slice(2, 4) : 0;
    if (oh > 18 || om > 59) return null;
    offsetMin = sign * (oh * 60 + om);
  }
  const utc = local - offsetMin * 60_000;
  return utc >= MIN_INSTANT && utc <= MAX_INSTANT ? utc : null;
}
