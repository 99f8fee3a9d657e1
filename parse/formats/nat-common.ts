import { natProblem } from '../../events/wire.js';
import { canonicalIp } from '../../core/ip.js';
import type { NatEvent } from '../../events/schema.js';
import type { SourceOptions } from '../../schemas/source-config.js';
import type { LineParser, ParseContext, ParseSink } from '../format.js';
import { readSyslogHeader, type SyslogHeader } from '../syslog-header.js';
import { vrfNamer } from '../vrf.js';
import { ZoneClock, type ZoneUse } from '../zone-clock.js';

/** What NAT formats read without a zone: BSD syslog headers (RFC 3164) write local time. */
export const SYSLOG_ZONELESS = 'BSD syslog header times (RFC 3164 headers carry no zone)';

/** What every NAT parser of a source fills in the same way. */
export interface NatSetup {
  source: string;
  natInstance: string;
  /** The index's name of the inside VRF a record names (null: names none), through the source's `vrfMap`. */
  vrf(written: string | null): string;
  /** The source's clock: zone, DST order, what was applied. */
  clock: ZoneClock;
  header(line: string): SyslogHeader;
}

export function natSetup(source: string, options: SourceOptions, context: ParseContext): NatSetup {
  const clock = new ZoneClock(options.timezone, 'syslog header time');
  const headerOptions = { clock, year: options.year, now: context.now };
  return {
    source,
    natInstance: options.natInstance ?? 'default',
    vrf: vrfNamer(options),
    clock,
    header: (line) => readSyslogHeader(line, headerOptions),
  };
}

/** A NAT parser's report of the zone it applied, for the ingest summary. */
export function zoneReport(s: NatSetup): { zoneUse(): ZoneUse } {
  return { zoneUse: () => ({ ...s.clock.use }) };
}

/** An event as a record states it: addresses as written, VRF null when the record names none. */
export interface NatDraft {
  event: NatEvent['event'];
  at: number;
  publicIp: string;
  portStart: number | null;
  portEnd: number | null;
  privateIp: string;
  privateVrf: string | null;
  protocol: number | null;
  allocatedAt: number | null;
}

/**
 * Completes the draft into an event and emits it (true), or rejects the line saying what is
 * wrong (false).
 */
export function emitNat(sink: ParseSink, lineNo: number, s: NatSetup, d: NatDraft): boolean {
  const publicIp = canonicalIp(d.publicIp);
  if (publicIp === null) {
    sink.reject(lineNo, `public address ${JSON.stringify(d.publicIp)} is not an IPv4 or IPv6 address`);
    return false;
  }
  const privateIp = canonicalIp(d.privateIp);
  if (privateIp === null) {
    sink.reject(lineNo, `private address ${JSON.stringify(d.privateIp)} is not an IPv4 or IPv6 address`);
    return false;
  }
  const e: NatEvent = {
    kind: 'nat',
    event: d.event,
    at: d.at,
    natInstance: s.natInstance,
    publicIp,
    portStart: d.portStart,
    portEnd: d.portEnd,
    privateIp,
    privateVrf: s.vrf(d.privateVrf),
    protocol: d.protocol,
    allocatedAt: d.allocatedAt,
    source: s.source,
  };
  const problem = natProblem(e);
  if (problem !== null) {
    sink.reject(lineNo, problem);
    return false;
  }
  sink.event(e, lineNo);
  return true;
}

/**
 * The inside address that names the subscriber. A DS-Lite AFTR logs the B4's IPv6 address (the
 * softwire) beside or instead of the inside IPv4; every B4 uses the same 192.0.0.x behind its
 * softwire (RFC 6333), so that IPv4 names no one, while the B4 address is what a lease names
 * (the WAN address, inside the delegated prefix). The B4 address is the holder whenever a record
 * gives one; null when the record gives neither.
 */
export function insideHolder(insideV4: string | null, b4: string | null): string | null {
  return b4 ?? insideV4;
}

/** The header's instant, or the reason there is none (the record carries no time of its own). */
export function headerInstant(h: SyslogHeader): number | string {
  if (h.time !== null) return h.time;
  return h.timeError ? `no usable time: ${h.timeError}` : 'no time: the line has no syslog header and the record carries no time';
}

/** A port number written in decimal, or null. */
export function portNumber(text: string | undefined): number | null {
  if (text === undefined || text.length === 0 || text.length > 5) return null;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return null;
    n = n * 10 + c;
  }
  return n <= 65535 ? n : null;
}

/** A small decimal integer (ids, protocol numbers), or null. */
export function smallInt(text: string | undefined): number | null {
  if (text === undefined || text.length === 0 || text.length > 9) return null;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  return Number(text);
}

/**
 * The protocol of a record, by name or IANA number: 6, 17, 1 or 58; undefined when it is
 * something else. The caller rejects then: a block of another protocol stored as "all
 * protocols" (null) would answer for ports it does not cover.
 */
export function protocolOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  switch (text.toUpperCase()) {
    case 'TCP': case '6': return 6;
    case 'UDP': case '17': return 17;
    case 'ICMP': case '1': return 1;
    case 'ICMPV6': case 'IPV6-ICMP': case '58': return 58;
    default: return undefined;
  }
}

/**
 * Splits `address:port` at the last colon. An IPv6 address with a port must be bracketed
 * (`[2001:db8::1]:80`); an unbracketed IPv6 text is an address without a port.
 */
export function splitAddressPort(text: string): { address: string; port: string | null } {
  if (text.charCodeAt(0) === 91 /* [ */) {
    const close = text.indexOf(']');
    if (close > 0) {
      const address = text.slice(1, close);
      return text.charCodeAt(close + 1) === 58 ? { address, port: text.slice(close + 2) } : { address, port: null };
    }
  }
  const last = text.lastIndexOf(':');
  if (last < 0) return { address: text, port: null };
  if (text.indexOf(':') !== last) return { address: text, port: null };
  return { address: text.slice(0, last), port: text.slice(last + 1) };
}

/**
 * An `address:port` end that must carry its port, or the reason it does not. An IPv6 address
 * must then be bracketed (`[2001:db8::5]:4001`): unbracketed, its last group may be the port, and
 * `2001:db8::5:4001` is itself an address, so reading it either way could name the wrong holder.
 */
export function endpointWithPort(text: string, what: string): { address: string; port: number } | string {
  const e = splitAddressPort(text);
  const port = portNumber(e.port ?? undefined);
  if (port !== null) return { address: e.address, port };
  if (e.port === null && text.indexOf(':') !== text.lastIndexOf(':')) {
    return `${what} ${JSON.stringify(text)} is not <ip>:<port> (an IPv6 address must be written [address]:port)`;
  }
  return `${what} ${JSON.stringify(text)} is not <ip>:<port>`;
}

/** Whether a line holds only spaces (collectors write blank lines between files). */
export function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

/**
 * A parser that keeps no state between lines (but its source's clock, whose zone use it
 * reports); blank lines are skipped, not rejected.
 */
export function statelessParser(read: (text: string, lineNo: number, sink: ParseSink) => void, s?: NatSetup): LineParser {
  return {
    line(text, lineNo, sink) {
      if (isBlank(text)) return sink.skip(lineNo, 'empty line');
      read(text, lineNo, sink);
    },
    end() {},
    ...(s ? zoneReport(s) : {}),
  };
}
