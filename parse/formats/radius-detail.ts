import { canonicalIp, ipv6Prefix } from '../../core/ip.js';
import { parseIsoInstant } from '../../core/time.js';
import type { SourceOptions } from '../../schemas/source-config.js';
import { vrfNamer } from '../vrf.js';
import type { LineParser, ParseSink, TextFormat } from '../format.js';
import { ZoneClock, type ZoneUse } from '../zone-clock.js';
import { emitLease, monthNumber, pickSubscriber, setId, type Identifiers } from './lease-identifiers.js';

/**
 * FreeRADIUS (v3 and v4, also GNU radiusd / Livingston) accounting `detail` files
 * (reference/lease-formats.md §4, §6).
 *
 * A record is a header line (server local time, no zone) and indented `Name = value` lines,
 * ended by a blank line or the next header. Event time, most trustworthy first:
 *   Event-Timestamp as epoch seconds or ISO 8601 (v4, or dates_as_integer)
 *   Timestamp − Acct-Delay-Time (epoch, server receive time). Preferred over a v3
 *     Event-Timestamp string, whose zone abbreviation is ambiguous ("CST" = +08:00 in a real
 *     sample) and whose month names follow the locale.
 *   the v3 Event-Timestamp string, then the header, − Acct-Delay-Time, as wall time in the
 *     source's `timezone` (the repeated DST hour is refused).
 *
 * Records → events, one per address the record carries (Framed-IP-Address, Framed-IPv6-Address,
 * Framed-IPv6-Prefix, Delegated-IPv6-Prefix; a prefix's network address is `ip`, the prefix is
 * identifiers.prefix). Session start = the Start this stream saw, else event time −
 * Acct-Session-Time, else event time.
 *   Start             start at the event time (expiresAt null: sessions have no scheduled end)
 *   Interim-Update    start at the session start for an address this stream has not yet
 *                     emitted for the session (BNGs often send the address first here)
 *   Stop              that start if not yet emitted, then end at the event time
 *   Accounting-On/Off end at the event time for every session of that NAS this stream saw open
 * A record with no address (service sub-sessions, logins, a Start without Framed-IP) holds
 * nothing and closes nothing: skipped.
 */

interface Session {
  nas: string;
  startAt: number | null;
  subscriberId: string;
  ids: Identifiers;
  /** ip → identifiers it was emitted with, for the end events. */
  emitted: Map<string, Identifiers>;
}

interface RecordState {
  line: number;
  header: string;
  attrs: Map<string, string>;
}

const ATTR = /^[ \t]+([A-Za-z0-9][\w.:-]*)\s*(?:=|:=|\+=)\s*(.*)$/;
const HEADER = /^(?:[A-Za-z]{3}\s+)?([A-Za-z]{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+(\d{4})$/;
const V3_EVENT = /^([A-Za-z]{3})\s+(\d{1,2})\s+(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})(?:\s+(\S+))?$/;
/** Addresses a NAS sends instead of a real one: "let the NAS choose" and "let the user choose". */
const NOT_AN_ADDRESS = new Set(['0.0.0.0', '255.255.255.254', '255.255.255.255']);

function unquote(value: string): string {
  let v = value.trim();
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) {
    v = v.slice(1, -1).replace(/\\(.)/g, '$1');
  } else if (v.startsWith('::')) {
    v = v.slice(2); // v4 writes enumerated values as ::Name
  }
  return v;
}

const STATUS: Record<string, string> = {
  Start: 'start', '1': 'start',
  Stop: 'stop', '2': 'stop',
  'Interim-Update': 'interim', Alive: 'interim', '3': 'interim',
  'Accounting-On': 'on', '7': 'on',
  'Accounting-Off': 'off', '8': 'off',
};

class RadiusDetailParser implements LineParser {
  private readonly vrf: string;
  private readonly clock: ZoneClock;
  private rec: RecordState | null = null;
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly options: SourceOptions) {
    this.vrf = vrfNamer(options)(null);
    this.clock = new ZoneClock(options.timezone, 'detail file time');
  }

  zoneUse(): ZoneUse {
    return { ...this.clock.use };
  }

  line(text: string, lineNo: number, sink: ParseSink): void {
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') {
      this.finish(sink);
      return;
    }
    const c = text.charCodeAt(0);
    if (c !== 32 && c !== 9) {
      this.finish(sink);
      this.rec = { line: lineNo, header: text.trim(), attrs: new Map() };
      return;
    }
    if (!this.rec) return sink.reject(lineNo, 'attribute line outside a record (no header line before it)');
    const m = ATTR.exec(text);
    // v4 groups (`Vendor-Specific = {`, `}`) and other shapes carry nothing used here.
    if (m && !this.rec.attrs.has(m[1])) this.rec.attrs.set(m[1], unquote(m[2]));
  }

  end(sink: ParseSink): void {
    this.finish(sink);
  }

  private finish(sink: ParseSink): void {
    const r = this.rec;
    if (!r) return;
    this.rec = null;
    this.record(r, sink);
  }

  private num(r: RecordState, name: string): number | null | string {
    const v = r.attrs.get(name);
    if (v === undefined || v === '') return null;
    return /^\d{1,12}$/.test(v) ? Number(v) : `${name} ${JSON.stringify(v)} is not a whole number`;
  }

  /** The record's event time in ms, or why there is none. */
  private eventTime(r: RecordState): number | string {
    const delay = this.num(r, 'Acct-Delay-Time');
    if (typeof delay === 'string') return delay;
    const delayMs = (delay ?? 0) * 1000;
    const ev = r.attrs.get('Event-Timestamp');
    if (ev !== undefined && /^\d{1,12}$/.test(ev)) return this.clock.own(Number(ev) * 1000);
    if (ev !== undefined) {
      const iso = parseIsoInstant(ev);
      if (iso !== null) return this.clock.own(iso);
    }
    const tsText = r.attrs.get('Timestamp');
    const tsIso = tsText === undefined ? null : parseIsoInstant(tsText);
    if (tsIso !== null) return this.clock.own(tsIso - delayMs);
    const ts = this.num(r, 'Timestamp');
    if (typeof ts === 'string') return ts;
    if (ts !== null) return this.clock.own(ts * 1000 - delayMs);
    if (ev !== undefined) {
      const m = V3_EVENT.exec(ev);
      const month = m ? monthNumber(m[1]) : 0;
      if (!m || !month) return `Event-Timestamp ${JSON.stringify(ev)} is not a date this parser reads, and there is no Timestamp`;
      const wall = { year: +m[3], month, day: +m[2], hour: +m[4], minute: +m[5], second: +m[6], millisecond: 0 };
      const t = m[7] === undefined ? this.clock.local(wall) : this.clock.abbreviated(wall, m[7].toUpperCase());
      return typeof t === 'string' ? `Event-Timestamp: ${t}` : t;
    }
    const h = HEADER.exec(r.header);
    const month = h ? monthNumber(h[1]) : 0;
    if (!h || !month) return `header ${JSON.stringify(r.header.slice(0, 60))} is not a detail-file date, and the record has no Timestamp or Event-Timestamp`;
    const t = this.clock.local({ year: +h[6], month, day: +h[2], hour: +h[3], minute: +h[4], second: +h[5], millisecond: 0 });
    return typeof t === 'string' ? `header time: ${t}` : t - delayMs;
  }

  private record(r: RecordState, sink: ParseSink): void {
    const statusText = r.attrs.get('Acct-Status-Type');
    if (statusText === undefined) return sink.skip(r.line, 'not an accounting record (no Acct-Status-Type)');
    const status = STATUS[statusText];
    if (!status) return sink.skip(r.line, `Acct-Status-Type ${statusText} is not about a session`);
    const at = this.eventTime(r);
    if (typeof at === 'string') return sink.reject(r.line, at);

    const ids: Identifiers = {};
    setId(ids, 'username', r.attrs.get('User-Name'));
    setId(ids, 'callingStationId', r.attrs.get('Calling-Station-Id'));
    setId(ids, 'calledStationId', r.attrs.get('Called-Station-Id'));
    setId(ids, 'nasIp', r.attrs.get('NAS-IP-Address') ?? r.attrs.get('NAS-IPv6-Address'));
    setId(ids, 'nasIdentifier', r.attrs.get('NAS-Identifier'));
    setId(ids, 'nasPort', r.attrs.get('NAS-Port'));
    setId(ids, 'nasPortId', r.attrs.get('NAS-Port-Id'));
    setId(ids, 'acctSessionId', r.attrs.get('Acct-Session-Id'));
    setId(ids, 'acctUniqueSessionId', r.attrs.get('Acct-Unique-Session-Id'));
    const nas = ids.nasIp ?? ids.nasIdentifier ?? '';

    if (status === 'on' || status === 'off') return this.nasReload(nas, statusText, at, r.line, sink);

    const addrs = this.addresses(r);
    if (typeof addrs === 'string') return sink.reject(r.line, addrs);
    const key = ids.acctUniqueSessionId ?? `${nas}|${ids.acctSessionId ?? ''}|${ids.username ?? ''}`;
    let session = this.sessions.get(key);
    if (addrs.length === 0 && !(status === 'stop' && session && session.emitted.size > 0)) {
      if (status === 'start' && !this.sessions.has(key)) this.remember(key, nas, at, ids);
      return sink.skip(r.line, `${statusText} without Framed-IP-Address, Framed-IPv6-Prefix or Delegated-IPv6-Prefix: no address held`);
    }
    const who = pickSubscriber(ids, this.options, 'username');
    if ('reason' in who) return sink.reject(r.line, who.reason);

    const sessionTime = this.num(r, 'Acct-Session-Time');
    if (typeof sessionTime === 'string') return sink.reject(r.line, sessionTime);
    let startAt: number;
    if (status === 'start') startAt = at;
    else if (session && session.startAt !== null) startAt = session.startAt;
    else startAt = at - (sessionTime ?? 0) * 1000;
    if (startAt < 0) return sink.reject(r.line, 'Acct-Session-Time puts the session start before 1970');

    if (!session || status === 'start') session = this.remember(key, nas, startAt, ids, who.id);
    else if (session.startAt === null) session.startAt = startAt;
    if (!session.subscriberId) session.subscriberId = who.id;

    for (const a of addrs) {
      if (session.emitted.has(a.ip)) continue;
      const aIds = a.prefix ? { ...ids, prefix: a.prefix } : ids;
      session.emitted.set(a.ip, aIds);
      emitLease(sink, r.line, { event: 'start', at: startAt, ip: a.ip, subscriberId: who.id, expiresAt: null, identifiers: aIds }, this.vrf, 'radius-detail');
    }
    if (status !== 'stop') return;
    this.sessions.delete(key);
    for (const [ip, aIds] of session.emitted) {
      emitLease(sink, r.line, { event: 'end', at, ip, subscriberId: session.subscriberId, expiresAt: null, identifiers: aIds }, this.vrf, 'radius-detail');
    }
  }

  private remember(key: string, nas: string, startAt: number, ids: Identifiers, subscriberId = ''): Session {
    const s: Session = { nas, startAt, subscriberId, ids, emitted: new Map() };
    this.sessions.set(key, s);
    return s;
  }

  /** The addresses a record says the subscriber holds; placeholders are not addresses. */
  private addresses(r: RecordState): Array<{ ip: string; prefix?: string }> | string {
    const out: Array<{ ip: string; prefix?: string }> = [];
    for (const name of ['Framed-IP-Address', 'Framed-IPv6-Address']) {
      const v = r.attrs.get(name);
      if (v === undefined || v === '' || NOT_AN_ADDRESS.has(v)) continue;
      const ip = canonicalIp(v);
      if (!ip) return `${name} ${JSON.stringify(v)} is not an IP address`;
      out.push({ ip });
    }
    for (const name of ['Framed-IPv6-Prefix', 'Delegated-IPv6-Prefix']) {
      const v = r.attrs.get(name);
      if (v === undefined || v === '') continue;
      const p = ipv6Prefix(v);
      if (typeof p === 'string') return `${name} ${p}`;
      out.push(p);
    }
    return out;
  }

  private nasReload(nas: string, statusText: string, at: number, line: number, sink: ParseSink): void {
    if (!nas) return sink.reject(line, `${statusText} without NAS-IP-Address or NAS-Identifier: cannot tell whose sessions ended`);
    let ended = 0;
    for (const [key, s] of this.sessions) {
      if (s.nas !== nas) continue;
      this.sessions.delete(key);
      for (const [ip, aIds] of s.emitted) {
        if (s.startAt !== null && s.startAt > at) continue;
        emitLease(sink, line, { event: 'end', at, ip, subscriberId: s.subscriberId, expiresAt: null, identifiers: aIds }, this.vrf, 'radius-detail');
        ended++;
      }
    }
    if (ended === 0) sink.skip(line, `${statusText} from ${nas}: no open session of that NAS earlier in this stream`);
  }
}

export const radiusDetail: TextFormat = {
  name: 'radius-detail',
  kind: 'lease',
  summary: 'FreeRADIUS v3/v4 accounting detail files (Start / Interim-Update / Stop, Accounting-On/Off)',
  zoneless: 'record header times (server local time, no zone)',
  create(options: SourceOptions): LineParser {
    return new RadiusDetailParser(options);
  },
  sniff(line: string): boolean {
    return HEADER.test(line.trim()) || /^[ \t]+(?:Acct-Status-Type|Acct-Session-Id|Framed-IP-Address|NAS-IP-Address) = /.test(line);
  },
};
