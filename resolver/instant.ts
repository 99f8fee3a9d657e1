import { DomainError } from '../core/domain-error.js';
import { MAX_INSTANT, parseIsoInstant } from '../core/time.js';
import { wallTimeToInstants } from '../core/zoned.js';

export type QueryInstants =
  | { ok: true; instants: number[]; ambiguousLocalTime: boolean }
  | { ok: false; error: DomainError };

const NAIVE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?$/;
const EPOCH = /^\d{1,13}(\.\d{1,6})?$/;

const badTime = (message: string) => ({ ok: false as const, error: new DomainError('bad_time', message, 'at') });

/**
 * Reads the instant(s) a query names. ISO 8601 with Z or an offset is taken as is; epoch
 * seconds (up to 11 digits) or milliseconds (12-13 digits); a time without a zone is read in
 * the IANA zone `tz` (already checked by the caller), where the repeated DST hour names both
 * instants and the skipped hour names none (an error, because no such local time existed).
 */
export function queryInstants(at: string, tz: string | undefined): QueryInstants {
  const text = at.trim();
  if (EPOCH.test(text)) {
    const [whole] = text.split('.');
    const ms = whole.length <= 11 ? Math.round(Number(text) * 1000) : Number(text);
    if (whole.length > 11 && text.includes('.')) return badTime(`${JSON.stringify(at)} looks like epoch milliseconds with a fraction`);
    if (ms > MAX_INSTANT) return badTime(`${JSON.stringify(at)} is after the year 9999`);
    return { ok: true, instants: [ms], ambiguousLocalTime: false };
  }
  const iso = parseIsoInstant(text);
  if (iso !== null) return { ok: true, instants: [iso], ambiguousLocalTime: false };
  const m = NAIVE.exec(text);
  if (!m) {
    return badTime(`${JSON.stringify(at)} is not a time: use ISO 8601 (2026-10-25T02:30:00+02:00 or …Z), epoch seconds or milliseconds, or a local time with tz`);
  }
  if (tz === undefined) {
    return badTime(`${JSON.stringify(at)} has no zone: add Z or an offset, or give tz (e.g. tz=Europe/Copenhagen)`);
  }
  const [, y, mo, d, h, mi, s = '0', frac = ''] = m;
  const r = wallTimeToInstants(
    { year: +y, month: +mo, day: +d, hour: +h, minute: +mi, second: +s, millisecond: Number(frac.padEnd(3, '0').slice(0, 3)) },
    tz,
  );
  if (r.kind === 'invalid') return badTime(`${JSON.stringify(at)}: ${r.reason}`);
  if (r.kind === 'skipped') return badTime(`${JSON.stringify(at)} never happened in ${tz}: the clocks skipped that hour (DST began)`);
  return { ok: true, instants: r.instants, ambiguousLocalTime: r.instants.length > 1 };
}
