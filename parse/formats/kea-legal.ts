import { canonicalIp, ipv6Prefix } from '../../core/ip.js';
import type { SourceOptions } from '../../schemas/source-config.js';
import { vrfNamer } from '../vrf.js';
import type { LineParser, ParseSink, TextFormat } from '../format.js';
import { ZoneClock, type ZoneUse } from '../zone-clock.js';
import { DHCP4_DEFAULT_KEYS, emitLease, normHex, pickSubscriber, setId, type Identifiers, type SubscriberKey } from './lease-identifiers.js';

/**
 * Kea forensic ("legal") log, libdhcp_legal_log.so (reference/lease-formats.md §3).
 *
 * Line: `%Y-%m-%d %H:%M:%S %Z` + " " + entry. The time is the server's local time and %Z its
 * zone abbreviation, which says which offset was meant (zone-clock.ts): with the source's
 * `timezone`, the one of that zone's offsets the abbreviation is used for (so CET and CEST
 * tell the two passes of the repeated hour apart, and CST is +08:00 in Asia/Shanghai and
 * -06:00 in America/Chicago); with none, the abbreviation's own offset when it has only one.
 * A numeric offset in its place (a `%z` timestamp-format, or a zone whose abbreviation is
 * "-03") is used as is. A timestamp-format without %Z needs the source's `timezone`. From Kea 3.3 a `-` after the timestamp marks a continuation line;
 * the parts are joined and reported at the first line.
 *
 * Entries → events:
 *   assigned / renewed, Administrator|HA partner added / updated
 *                     start at the line time, expiresAt = time + logged lifetime
 *                     (`infinite duration` → null; an update that logs no lifetime keeps the
 *                     expiry this stream last saw for the same binding, else null: unknown is
 *                     left open rather than guessed short)
 *   released          end at the line time (declines are logged as releases too)
 *   deleted the lease for address
 *                     end at the line time for whoever this stream last saw holding it; the
 *                     line names no client, so without an earlier line it is rejected
 *   deleted a lease for a device identified by: <type> of <id>
 *                     end at the line time for every holding of that identifier this stream
 *                     saw still open
 * Subscriber key default: mac for v4 entries, duid for v6 entries (DHCPv6 clients need not
 * send a hardware address).
 */

export type LegalEntry =
  | { kind: 'lease'; action: 'assigned' | 'renewed' | 'released'; address: string; prefix: boolean; lifetime: number | null | undefined; ids: Identifiers }
  | { kind: 'admin-add' | 'admin-update'; address: string; prefix: boolean; lifetime: number | null | undefined; ids: Identifiers }
  | { kind: 'admin-delete'; address: string }
  | { kind: 'admin-delete-identifier'; identifierType: string; identifier: string };

const LEASE_ENTRY = /^(Address|Prefix):\s?(\S+) has been (assigned|renewed|released) (?:for (.+?) to|from) a device with (.*)$/;
const ADMIN_SET = /^(?:Administrator|HA partner) (added a lease of|updated information on the lease of) (address|prefix): (\S+) to a device with (.*)$/;
const ADMIN_DEL = /^(?:Administrator|HA partner) deleted the lease for address: (\S+)$/;
const ADMIN_DEL_ID = /^(?:Administrator|HA partner) deleted a lease for a device identified by: (\S+) of (\S+)$/;
const DURATION = /^(?:(\d+) days? )?(\d+) hrs? (\d+) mins? (\d+) secs?$/;
const TRAILING_DURATION = / for ((?:\d+ days? )?\d+ hrs? \d+ mins? \d+ secs?|\d+ seconds?|infinite duration)$/;
const LABEL = /(hardware address|client-id|DUID|circuit-id|remote-id|subscriber-id|interface-id|relay at address|link address): (?:hwtype=\d+ )?([^\s,]+)/g;

const LABEL_KEYS: Record<string, string> = {
  'hardware address': 'mac',
  'client-id': 'clientId',
  DUID: 'duid',
  'circuit-id': 'circuitId',
  'remote-id': 'remoteId',
  'subscriber-id': 'relaySubscriberId',
  'interface-id': 'interfaceId',
  'relay at address': 'relayAddress',
  'link address': 'linkAddress',
};

const DELETE_ID_KEYS: Record<string, string> = { 'hw-address': 'mac', 'client-id': 'clientId', duid: 'duid', 'circuit-id': 'circuitId', 'flex-id': 'flexId' };

/** Seconds, null for `infinite duration`, or undefined when the text is not a Kea duration. */
export function legalDuration(text: string): number | null | undefined {
  if (text === 'infinite duration') return null;
  const m = DURATION.exec(text);
  if (m) return (Number(m[1] ?? 0) * 24 + Number(m[2])) * 3600 + Number(m[3]) * 60 + Number(m[4]);
  const s = /^(\d+) seconds?$/.exec(text);
  return s ? Number(s[1]) : undefined;
}

/**
 * The identifiers of an entry's "a device with …" part. Printable ids are followed by their
 * text in parentheses, which may itself contain a label, so it is stepped over.
 */
function identifiers(details: string): Identifiers {
  const ids: Identifiers = {};
  LABEL.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = LABEL.exec(details))) {
    const key = LABEL_KEYS[m[1]];
    const raw = m[2];
    const address = key === 'relayAddress' || key === 'linkAddress';
    setId(ids, key, address ? canonicalIp(raw) ?? raw : normHex(raw));
    const after = LABEL.lastIndex;
    if (details.startsWith(' (', after)) {
      const close = /\)(?=$|,| and | connected| for )/g;
      close.lastIndex = after + 2;
      const c = close.exec(details);
      if (c) LABEL.lastIndex = c.index + 1;
    }
  }
  return ids;
}

function cutContext(text: string): string {
  const i = text.indexOf(', context: ');
  return i < 0 ? text : text.slice(0, i);
}

/** Reads one entry body (the line after its timestamp), or says why it is not one. */
export function parseLegalBody(body: string): LegalEntry | string {
  let m: RegExpExecArray | null;
  if ((m = LEASE_ENTRY.exec(body))) {
    const action = m[3] as 'assigned' | 'renewed' | 'released';
    let lifetime: number | null | undefined;
    if (action !== 'released') {
      lifetime = legalDuration(m[4] ?? '');
      if (lifetime === undefined) return `lifetime ${JSON.stringify(m[4] ?? '')} is not a Kea duration`;
    }
    return { kind: 'lease', action, address: m[2], prefix: m[1] === 'Prefix', lifetime, ids: identifiers(cutContext(m[5])) };
  }
  if ((m = ADMIN_SET.exec(body))) {
    let details = cutContext(m[4]);
    let lifetime: number | null | undefined;
    const d = TRAILING_DURATION.exec(details);
    if (d) {
      lifetime = legalDuration(d[1]);
      details = details.slice(0, d.index);
    }
    return { kind: m[1].startsWith('added') ? 'admin-add' : 'admin-update', address: m[3], prefix: m[2] === 'prefix', lifetime, ids: identifiers(details) };
  }
  if ((m = ADMIN_DEL.exec(body))) return { kind: 'admin-delete', address: m[1] };
  if ((m = ADMIN_DEL_ID.exec(body))) return { kind: 'admin-delete-identifier', identifierType: m[1], identifier: m[2] };
  return `not a legal log entry: ${JSON.stringify(body.slice(0, 80))}`;
}

const STAMP = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?/;
const ZONE_THEN_BODY = /^ ([A-Za-z]{1,6}|[+-]\d{2}(?::?\d{2})?)([ -])/;
const BODY_START = /^(?:Address:|Prefix:|Administrator |HA partner )/;

interface Stamped {
  at: number | string;
  continued: boolean;
  body: string;
}

/** Splits timestamp and body and resolves the time, or says why the line has no timestamp. */
function stamped(text: string, clock: ZoneClock): Stamped | string {
  const m = STAMP.exec(text);
  if (!m) return 'line does not start with a "YYYY-MM-DD HH:MM:SS" timestamp';
  let rest = text.slice(m[0].length);
  let zone: string | null = null;
  let sep: string;
  // With no %Z in the timestamp-format the body follows at once; "HA partner" would
  // otherwise pass for a zone abbreviation.
  if ((rest[0] === ' ' || rest[0] === '-') && BODY_START.test(rest.slice(1))) {
    sep = rest[0];
    rest = rest.slice(1);
  } else {
    const z = ZONE_THEN_BODY.exec(rest);
    if (!z) return 'no entry after the timestamp';
    zone = z[1];
    sep = z[2];
    rest = rest.slice(z[0].length);
  }
  const [, y, mo, d, h, mi, s, frac = ''] = m;
  const wall = { year: +y, month: +mo, day: +d, hour: +h, minute: +mi, second: +s, millisecond: Number(frac.padEnd(3, '0').slice(0, 3)) };
  let at: number | string;
  if (zone === null) {
    at = clock.local(wall);
  } else if (zone[0] === '+' || zone[0] === '-') {
    const digits = zone.slice(1).replace(':', '');
    const minutes = (zone[0] === '-' ? -1 : 1) * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0));
    at = clock.offset(wall, minutes);
  } else {
    at = clock.abbreviated(wall, zone.toUpperCase());
  }
  return { at, continued: sep === '-', body: rest };
}

interface Holding {
  ip: string;
  subscriberId: string;
  expiresAt: number | null;
  ids: Identifiers;
}

class KeaLegalParser implements LineParser {
  private readonly vrf: string;
  private readonly clock: ZoneClock;
  /** Who this stream last saw holding each address, so address-only deletes can be attributed. */
  private readonly holders = new Map<string, Holding>();
  private pending: { line: number; parts: string[]; at: number | string } | null = null;

  constructor(private readonly options: SourceOptions) {
    this.vrf = vrfNamer(options)(null);
    this.clock = new ZoneClock(options.timezone, 'legal log time');
  }

  zoneUse(): ZoneUse {
    return { ...this.clock.use };
  }

  line(text: string, lineNo: number, sink: ParseSink): void {
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') return;
    const st = stamped(text, this.clock);
    if (typeof st === 'string') {
      if (this.pending) this.flushBroken(sink);
      return sink.reject(lineNo, st);
    }
    if (st.continued) {
      if (this.pending) this.pending.parts.push(st.body);
      else this.pending = { line: lineNo, parts: [st.body], at: st.at };
      return;
    }
    let line = lineNo;
    let body = st.body;
    let at = st.at;
    if (this.pending) {
      body = [...this.pending.parts, body].join(' ');
      line = this.pending.line;
      at = this.pending.at;
      this.pending = null;
    }
    if (typeof at === 'string') return sink.reject(line, `timestamp: ${at}`);
    const entry = parseLegalBody(body);
    if (typeof entry === 'string') return sink.reject(line, entry);
    this.entry(entry, at, line, sink);
  }

  end(sink: ParseSink): void {
    if (this.pending) this.flushBroken(sink);
  }

  private flushBroken(sink: ParseSink): void {
    sink.reject(this.pending!.line, 'continuation lines ("-" after the timestamp) without their final line');
    this.pending = null;
  }

  private address(text: string, prefix: boolean): { ip: string; ids: Identifiers } | string {
    if (prefix) {
      const p = ipv6Prefix(text);
      return typeof p === 'string' ? p : { ip: p.ip, ids: { prefix: p.prefix } };
    }
    const ip = canonicalIp(text);
    return ip ? { ip, ids: {} } : `address ${JSON.stringify(text)} is not an IP address`;
  }

  private entry(e: LegalEntry, at: number, line: number, sink: ParseSink): void {
    if (e.kind === 'admin-delete-identifier') return this.deleteByIdentifier(e.identifierType, e.identifier, at, line, sink);
    const a = this.address(e.address, e.kind === 'admin-delete' ? e.address.includes('/') : e.prefix);
    if (typeof a === 'string') return sink.reject(line, a);
    const key = a.ip;

    if (e.kind === 'admin-delete' || (e.kind === 'lease' && e.action === 'released')) {
      const lineIds = e.kind === 'lease' ? { ...a.ids, ...e.ids } : null;
      const known = this.holders.get(key);
      let subscriberId: string;
      let ids: Identifiers;
      if (lineIds && Object.keys(lineIds).some((k) => k !== 'prefix')) {
        const who = pickSubscriber(lineIds, this.options, this.defaultKey(a.ip, lineIds));
        if ('reason' in who && !known) return sink.reject(line, who.reason);
        subscriberId = 'id' in who ? who.id : known!.subscriberId;
        ids = lineIds;
      } else if (known) {
        subscriberId = known.subscriberId;
        ids = known.ids;
      } else {
        return sink.reject(line, `the delete of ${e.address} names no client and no earlier line of this log assigned it`);
      }
      this.holders.delete(key);
      return emitLease(sink, line, { event: 'end', at, ip: a.ip, subscriberId, expiresAt: null, identifiers: ids }, this.vrf, 'kea-legal');
    }

    const ids = { ...a.ids, ...e.ids };
    const who = pickSubscriber(ids, this.options, this.defaultKey(a.ip, ids));
    if ('reason' in who) return sink.reject(line, who.reason);
    let expiresAt: number | null;
    if (e.lifetime === undefined) {
      const known = this.holders.get(key);
      expiresAt = known && known.subscriberId === who.id && (known.expiresAt === null || known.expiresAt >= at) ? known.expiresAt : null;
    } else {
      expiresAt = e.lifetime === null ? null : at + e.lifetime * 1000;
    }
    this.holders.set(key, { ip: a.ip, subscriberId: who.id, expiresAt, ids });
    emitLease(sink, line, { event: 'start', at, ip: a.ip, subscriberId: who.id, expiresAt, identifiers: ids }, this.vrf, 'kea-legal');
  }

  private deleteByIdentifier(type: string, value: string, at: number, line: number, sink: ParseSink): void {
    const key = DELETE_ID_KEYS[type];
    if (!key) return sink.reject(line, `unknown identifier type ${JSON.stringify(type)} in a delete`);
    const wanted = normHex(value);
    let ended = 0;
    for (const [k, h] of this.holders) {
      if (h.ids[key] !== wanted || (h.expiresAt !== null && h.expiresAt < at)) continue;
      this.holders.delete(k);
      emitLease(sink, line, { event: 'end', at, ip: h.ip, subscriberId: h.subscriberId, expiresAt: null, identifiers: h.ids }, this.vrf, 'kea-legal');
      ended++;
    }
    if (ended === 0) sink.skip(line, `delete by ${type} ${wanted}: no open lease of that client earlier in this log`);
  }

  private defaultKey(ip: string, ids: Identifiers): SubscriberKey | readonly SubscriberKey[] {
    return ip.includes(':') || ids.duid ? 'duid' : DHCP4_DEFAULT_KEYS;
  }
}

export const keaLegal: TextFormat = {
  name: 'kea-legal',
  kind: 'lease',
  summary: 'Kea forensic (legal) log, libdhcp_legal_log (server local time with its zone abbreviation; set timezone)',
  create(options: SourceOptions): LineParser {
    return new KeaLegalParser(options);
  },
  sniff(line: string): boolean {
    return /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?: \S{1,6})?[ -](?:Address:|Prefix: |Administrator |HA partner )/.test(line);
  },
};
