import { parseIsoInstant } from '../core/time.js';
import { deviceLocalInstant } from '../core/zoned.js';
import type { ZoneClock } from './zone-clock.js';

/**
 * The header of one syslog line, read without regexes: this runs once per ingested line.
 *
 * Accepted shapes (nat-log-formats.md §3, §4.1, §19):
 * - RFC 5424: `<PRI>1 2018-06-26T17:23:06.269-07:00 host app procid msgid [SD] msg`
 * - IOS-XR CGN's variant: `<PRI> 1 2011 May 31 10:30:45 host - - NAT44 - msg` (time is UTC)
 * - RFC 3164 / BSD: `<PRI>Jun 30 22:44:25 host app[pid]: msg`, PRI optional, also with a year
 *   (`Jun 30 2026 22:44:25`, ASA) or fraction (`May  7 00:00:00.00`)
 * - a leading ISO time as relays and MS-MPC write it: `<PRI>2026-07-19 16:13:02: host…`,
 *   `2026-07-19T16:13:02.5+02:00 host app: msg`, also after a BSD time (`Jun 30 22:44:25
 *   2026-06-30 22: 44:25: …`, where the inner time wins because it has a year)
 * - no header: time null, message is the whole line (after a `<PRI>` if there is one).
 */
export interface SyslogHeader {
  /** UTC epoch ms, null when the line has no header time (or it could not be used). */
  time: number | null;
  /** Why the header time could not be used (e.g. repeated DST hour); null otherwise. */
  timeError: string | null;
  host: string | null;
  app: string | null;
  /** RFC 5424 MSGID (Junos puts the event tag here); null for other shapes or NILVALUE. */
  msgid: string | null;
  /** RFC 5424 SD text, '[...]' blocks, or null. */
  structuredData: string | null;
  /** The rest of the line after the header. */
  message: string;
}

export interface SyslogHeaderOptions {
  /**
   * The source's clock: times that carry no zone are read in its zone and decided by its
   * order in the repeated DST hour, and every time read is noted for that order. A parser
   * passes one; without it `timezone` is used statelessly (the repeated hour is refused).
   */
  clock?: ZoneClock;
  /** IANA zone for times that carry no zone, when there is no clock; without either they are refused. */
  timezone?: string;
  /** Year for times that carry none; default: the year putting the time closest to `now`. */
  year?: number;
  now: number;
}

export function readSyslogHeader(line: string, options: SyslogHeaderOptions): SyslogHeader {
  const h: SyslogHeader = { time: null, timeError: null, host: null, app: null, msgid: null, structuredData: null, message: line };
  let pos = 0;
  if (line.charCodeAt(0) === 60 /* < */) {
    const close = line.indexOf('>', 1);
    if (close > 1 && close <= 4 && allDigits(line, 1, close)) pos = close + 1;
  }
  const start = pos;
  while (line.charCodeAt(pos) === 32) pos++;
  const c = line.charCodeAt(pos);
  if (c === 49 /* 1 */ && line.charCodeAt(pos + 1) === 32 && start > 0) {
    if (read5424(line, pos + 2, options, h)) return h;
  } else if (isUpperLetter(c)) {
    if (readBsd(line, pos, options, h)) return h;
  } else if (isDigit(c)) {
    const t = readIsoTime(line, pos, options);
    if (t) {
      setTime(h, t);
      readHostAndApp(line, afterTimeColon(line, t.end), h);
      return h;
    }
  }
  h.message = start === 0 ? line : line.slice(start);
  return h;
}

// ---------------------------------------------------------------------------------------------
// RFC 5424 (and IOS-XR CGN's year-first BSD-style time in a version-1 frame)

function read5424(line: string, pos: number, options: SyslogHeaderOptions, h: SyslogHeader): boolean {
  while (line.charCodeAt(pos) === 32) pos++;
  const tsEnd = tokenEnd(line, pos);
  if (tsEnd - pos === 4 && allDigits(line, pos, tsEnd)) {
    // IOS-XR CGN writes `2011 May 31 10:30:45` from gmtime_r: UTC by construction (§4.1).
    const t = readYearFirstTime(line, tsEnd + 1);
    if (!t) return false;
    h.time = t.ms !== null && options.clock ? options.clock.own(t.ms) : t.ms;
    pos = t.end;
  } else if (tsEnd - pos === 1 && line.charCodeAt(pos) === 45 /* - */) {
    pos = tsEnd;
  } else if (tsEnd - pos >= 16 && line.charCodeAt(pos + 4) === 45) {
    const text = line.slice(pos, tsEnd);
    const ms = parseIsoInstant(text);
    if (ms === null) h.timeError = `header time ${JSON.stringify(text)} is not an RFC 3339 instant`;
    else h.time = options.clock ? options.clock.own(ms) : ms;
    pos = tsEnd;
  } else {
    return false;
  }
  let field = 0;
  while (field < 4) {
    while (line.charCodeAt(pos) === 32) pos++;
    if (pos >= line.length) break;
    const end = tokenEnd(line, pos);
    const value = end - pos === 1 && line.charCodeAt(pos) === 45 ? null : line.slice(pos, end);
    if (field === 0) h.host = value;
    else if (field === 1) h.app = value;
    else if (field === 3) h.msgid = value;
    pos = end;
    field++;
  }
  while (line.charCodeAt(pos) === 32) pos++;
  if (line.charCodeAt(pos) === 91 /* [ */) {
    const end = structuredDataEnd(line, pos);
    h.structuredData = line.slice(pos, end);
    pos = end;
  } else if (line.charCodeAt(pos) === 45 && (pos + 1 === line.length || line.charCodeAt(pos + 1) === 32)) {
    pos++;
  }
  if (line.charCodeAt(pos) === 32) pos++;
  h.message = pos >= line.length ? '' : line.slice(pos);
  return true;
}

/** End of RFC 5424 SD: one or more `[id k="v" …]` blocks; `\"`, `\]` and `\\` escape in values. */
export function structuredDataEnd(line: string, pos: number): number {
  let inQuotes = false;
  for (let i = pos; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (inQuotes) {
      if (c === 92 /* \ */) i++;
      else if (c === 34) inQuotes = false;
    } else if (c === 34) {
      inQuotes = true;
    } else if (c === 93 /* ] */ && line.charCodeAt(i + 1) !== 91) {
      return i + 1;
    }
  }
  return line.length;
}

// ---------------------------------------------------------------------------------------------
// RFC 3164 / BSD

function readBsd(line: string, pos: number, options: SyslogHeaderOptions, h: SyslogHeader): boolean {
  const month = monthAt(line, pos);
  if (month === 0 || line.charCodeAt(pos + 3) !== 32) return false;
  let p = pos + 4;
  if (line.charCodeAt(p) === 32) p++; // `May  7`
  const dayLen = isDigit(line.charCodeAt(p + 1)) ? 2 : 1;
  const day = readUint(line, p, dayLen);
  if (day < 1 || day > 31) return false;
  p += dayLen;
  if (line.charCodeAt(p) !== 32) return false;
  p++;
  let year = -1;
  // ASA's `logging timestamp` writes `Jun 30 2026 22:44:25`.
  if (line.charCodeAt(p + 4) === 32 && allDigits(line, p, p + 4)) {
    year = readUint(line, p, 4);
    p += 5;
  }
  const clock = readClock(line, p);
  if (!clock) return false;
  p = clock.end;
  // A year after the time (`04:20:04:72 2005`, H3C).
  if (year < 0 && line.charCodeAt(p) === 32 && allDigits(line, p + 1, p + 5) && !isDigit(line.charCodeAt(p + 5)) && line.charCodeAt(p + 5) !== 45) {
    year = readUint(line, p + 1, 4);
    p += 5;
  }
  // A relay's BSD header in front of a device time that has a year: the device time wins.
  let q = p;
  while (line.charCodeAt(q) === 32) q++;
  if (isDigit(line.charCodeAt(q))) {
    const inner = readIsoTime(line, q, options);
    if (inner) {
      setTime(h, inner);
      readHostAndApp(line, afterTimeColon(line, inner.end), h);
      return true;
    }
  }
  if (year < 0) year = options.year ?? closestYear(month, day, clock.hour, clock.minute, options.now);
  setTime(h, localTime(year, month, day, clock.hour, clock.minute, clock.second, clock.ms, options, p));
  readHostAndApp(line, afterTimeColon(line, p), h);
  return true;
}

/** `host app[pid]: msg`, `host app: msg`, `app: msg`, `host : msg` (ASA), or `host msg`. */
function readHostAndApp(line: string, pos: number, h: SyslogHeader): void {
  while (line.charCodeAt(pos) === 32) pos++;
  let end = tokenEnd(line, pos);
  if (end > pos && line.charCodeAt(end - 1) !== 58 /* : */) {
    h.host = line.slice(pos, end);
    pos = end;
    while (line.charCodeAt(pos) === 32) pos++;
    end = tokenEnd(line, pos);
    if (end - pos === 1 && line.charCodeAt(pos) === 58) {
      pos = end + 1;
      h.message = pos >= line.length ? '' : line.slice(pos);
      return;
    }
  }
  if (end - pos > 1 && end - pos <= 128 && line.charCodeAt(end - 1) === 58) {
    let appEnd = end - 1;
    if (line.charCodeAt(appEnd - 1) === 93 /* ] */) {
      const open = line.indexOf('[', pos);
      if (open > pos && open < appEnd) appEnd = open;
    }
    h.app = line.slice(pos, appEnd);
    pos = end;
    if (line.charCodeAt(pos) === 32) pos++;
  }
  h.message = pos >= line.length ? '' : line.slice(pos);
}

// ---------------------------------------------------------------------------------------------
// Times

interface TimeRead {
  ms: number | null;
  error: string | null;
  end: number;
}

function setTime(h: SyslogHeader, t: TimeRead): void {
  h.time = t.ms;
  h.timeError = t.error;
}

/** Skips the `:` some relays put after the time (`2026-07-19 16:13:02: host`). */
function afterTimeColon(line: string, pos: number): number {
  return line.charCodeAt(pos) === 58 ? pos + 1 : pos;
}

interface Clock {
  hour: number;
  minute: number;
  second: number;
  ms: number;
  end: number;
}

/** `HH:MM:SS`, then `.fraction` or H3C's `:ms`; `HH: MM:SS` (MS-MPC, §3.3) is accepted. */
function readClock(line: string, p: number): Clock | null {
  const hour = readUint(line, p, 2);
  if (hour < 0 || hour > 23 || line.charCodeAt(p + 2) !== 58) return null;
  p += 3;
  if (line.charCodeAt(p) === 32) p++;
  const minute = readUint(line, p, 2);
  if (minute < 0 || minute > 59 || line.charCodeAt(p + 2) !== 58) return null;
  const second = readUint(line, p + 3, 2);
  if (second < 0 || second > 59) return null;
  p += 5;
  let ms = 0;
  const sep = line.charCodeAt(p);
  if ((sep === 46 || sep === 44 || sep === 58) && isDigit(line.charCodeAt(p + 1))) {
    let q = p + 1;
    while (isDigit(line.charCodeAt(q))) q++;
    if (sep === 58) {
      if (q - p - 1 > 3) return null;
      ms = readUint(line, p + 1, q - p - 1);
    } else {
      ms = fractionMs(line, p + 1, q);
    }
    p = q;
  }
  return { hour, minute, second, ms, end: p };
}

function fractionMs(line: string, from: number, to: number): number {
  let ms = 0;
  for (let i = 0; i < 3; i++) ms = ms * 10 + (from + i < to ? line.charCodeAt(from + i) - 48 : 0);
  return ms;
}

/** `YYYY-MM-DD[T ]HH:MM:SS[.frac][Z|±hh:mm]`; without a zone the time is device-local. */
function readIsoTime(line: string, p: number, options: SyslogHeaderOptions): TimeRead | null {
  if (line.charCodeAt(p + 4) !== 45 || line.charCodeAt(p + 7) !== 45) return null;
  const year = readUint(line, p, 4);
  const month = readUint(line, p + 5, 2);
  const day = readUint(line, p + 8, 2);
  const sep = line.charCodeAt(p + 10);
  if (year < 0 || month < 1 || month > 12 || day < 1 || (sep !== 84 && sep !== 32)) return null;
  const clock = readClock(line, p + 11);
  if (!clock) return null;
  let q = clock.end;
  const z = line.charCodeAt(q);
  if (z === 90 /* Z */ || z === 122) {
    return noted(utcTime(year, month, day, clock, 0, q + 1), options);
  }
  if ((z === 43 || z === 45) && isDigit(line.charCodeAt(q + 1))) {
    const oh = readUint(line, q + 1, 2);
    let r = q + 3;
    if (line.charCodeAt(r) === 58) r++;
    const om = readUint(line, r, 2);
    if (oh < 0 || oh > 18 || om < 0 || om > 59) return null;
    const sign = z === 45 ? -1 : 1;
    return noted(utcTime(year, month, day, clock, sign * (oh * 60 + om), r + 2), options);
  }
  return localTime(year, month, day, clock.hour, clock.minute, clock.second, clock.ms, options, q);
}

/** A time that carried its own zone, noted on the source's clock. */
function noted(t: TimeRead, options: SyslogHeaderOptions): TimeRead {
  if (t.ms !== null && options.clock) options.clock.own(t.ms);
  return t;
}

function utcTime(year: number, month: number, day: number, c: Clock, offsetMin: number, end: number): TimeRead {
  if (day > daysInMonth(year, month)) return { ms: null, error: `no such date ${year}-${pad2(month)}-${pad2(day)}`, end };
  const ms = Date.UTC(year, month - 1, day, c.hour, c.minute, c.second, c.ms) - offsetMin * 60_000;
  return { ms, error: null, end };
}

/** `YYYY Mon D HH:MM:SS` after the year (IOS-XR CGN), UTC. */
function readYearFirstTime(line: string, p: number): TimeRead | null {
  const year = readUint(line, p - 5, 4);
  const month = monthAt(line, p);
  if (month === 0 || line.charCodeAt(p + 3) !== 32) return null;
  p += 4;
  const dayLen = isDigit(line.charCodeAt(p + 1)) ? 2 : 1;
  const day = readUint(line, p, dayLen);
  if (day < 1 || day > 31) return null;
  p += dayLen;
  if (line.charCodeAt(p) !== 32) return null;
  const clock = readClock(line, p + 1);
  if (!clock) return null;
  return utcTime(year, month, day, clock, 0, clock.end);
}

// Memo of device-local conversions per zone, by wall-clock minute: a log stream walks forward in
// time, so nearly every line hits, and the zone lookup (Intl under luxon) runs about once a
// minute of log. Offsets change on whole minutes in every zone since 1970, so a minute's answer
// holds for all its seconds.
const localMemo = new Map<string, Map<number, number | string>>();

/**
 * The UTC instant of a zone-less wall time, through `deviceLocalInstant` (which refuses the
 * repeated DST hour); a string says why it cannot be used. Fields must already be in range.
 */
export function localWallToUtc(
  year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number, zone: string,
): number | string {
  if (day > daysInMonth(year, month)) return `no such date ${year}-${pad2(month)}-${pad2(day)}`;
  const wallMinute = Date.UTC(year, month - 1, day, hour, minute);
  let memo = localMemo.get(zone);
  if (!memo) {
    memo = new Map();
    localMemo.set(zone, memo);
  }
  let offset = memo.get(wallMinute);
  if (offset === undefined) {
    const r = deviceLocalInstant({ year, month, day, hour, minute, second: 0, millisecond: 0 }, zone);
    offset = typeof r === 'string' ? r : r - wallMinute;
    if (memo.size >= 4096) memo.clear();
    memo.set(wallMinute, offset);
  }
  return typeof offset === 'string' ? offset : wallMinute + offset + second * 1000 + ms;
}

function localTime(
  year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number, options: SyslogHeaderOptions, end: number,
): TimeRead {
  const r = options.clock
    ? options.clock.local({ year, month, day, hour, minute, second, millisecond: ms })
    : options.timezone === undefined
      ? 'the header time carries no zone and no timezone is configured for this source'
      : localWallToUtc(year, month, day, hour, minute, second, ms, options.timezone);
  return typeof r === 'string' ? { ms: null, error: r, end } : { ms: r, error: null, end };
}

let lastNow = NaN;
let lastNowYear = 0;

/** The year (now's, or either neighbour) that puts a year-less time closest to `now`. */
function closestYear(month: number, day: number, hour: number, minute: number, now: number): number {
  if (now !== lastNow) {
    lastNow = now;
    lastNowYear = new Date(now).getUTCFullYear();
  }
  let best = lastNowYear;
  let bestDistance = Infinity;
  for (let y = lastNowYear - 1; y <= lastNowYear + 1; y++) {
    if (day > daysInMonth(y, month)) continue; // 29 February only exists in leap years
    const distance = Math.abs(Date.UTC(y, month - 1, day, hour, minute) - now);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = y;
    }
  }
  return best;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

const MONTHS: Record<string, number> = {
  Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12,
};

/** 1-12 for an English month abbreviation at `pos`, else 0. */
export function monthAt(line: string, pos: number): number {
  if (!isUpperLetter(line.charCodeAt(pos))) return 0;
  return MONTHS[line.slice(pos, pos + 3)] ?? 0;
}

// ---------------------------------------------------------------------------------------------
// Character helpers

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isUpperLetter(c: number): boolean {
  return c >= 65 && c <= 90;
}

function allDigits(s: string, from: number, to: number): boolean {
  if (to > s.length || from >= to) return false;
  for (let i = from; i < to; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

/** The number in exactly `n` digits at `pos`, or -1. */
function readUint(s: string, pos: number, n: number): number {
  let v = 0;
  for (let i = pos; i < pos + n; i++) {
    const c = s.charCodeAt(i);
    if (!(c >= 48 && c <= 57)) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

function tokenEnd(s: string, pos: number): number {
  const sp = s.indexOf(' ', pos);
  return sp < 0 ? s.length : sp;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

// ---------------------------------------------------------------------------------------------
// RFC 5424 SD-PARAMs

/**
 * The value of one SD-PARAM (`name="value"`), searched from `from`; `needle` is `name="`,
 * built once by the caller so the hot path does not concatenate. The match must start a
 * parameter (after a space or `[`), so `source-address="` does not match inside
 * `nat-source-address="`; an unescaped `"` cannot occur inside a value, so it cannot match
 * there either. Undefined when absent or when the value is not closed (a truncated line).
 */
export function sdParam(text: string, needle: string, from = 0): string | undefined {
  let i = text.indexOf(needle, from);
  while (i > 0) {
    const prev = text.charCodeAt(i - 1);
    if (prev === 32 || prev === 91) break;
    i = text.indexOf(needle, i + 1);
  }
  if (i <= 0) return undefined;
  const start = i + needle.length;
  let escaped = false;
  for (let j = start; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 92 /* \ */) {
      escaped = true;
      j++;
    } else if (c === 34 /* " */) {
      const value = text.slice(start, j);
      return escaped ? value.replace(/\\(["\\\]])/g, '$1') : value;
    }
  }
  return undefined;
}
