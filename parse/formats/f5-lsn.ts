import type { ParseSink, TextFormat } from '../format.js';
import { emitNat, headerInstant, natSetup, portNumber, protocolOf, smallInt, statelessParser, type NatSetup, SYSLOG_ZONELESS } from './nat-common.js';

/**
 * F5 BIG-IP CGNAT (LSN) per-session records (nat-log-formats.md §6), in the shape the
 * reference gives: `LSN_ADD <client>%<rd>:<port> <proto> <nat>%<rd>:<port> <dst> <dport>`.
 * Each session becomes a one-port block. The client's route domain is the inside VRF.
 * F5 templates are operator-defined; any other layout is rejected rather than guessed at.
 */

const EVENTS: Record<string, 'alloc' | 'release'> = {
  LSN_ADD: 'alloc',
  LSN_DELETE: 'release',
  // The reference maps the inbound pair the same way; what INBOUND changes is not verified.
  LSN_INBOUND_ADD: 'alloc',
  LSN_INBOUND_DELETE: 'release',
};

interface Endpoint {
  address: string;
  routeDomain: string | null;
  port: number;
}

/** `addr%rd:port`, `addr:port` (IPv4 only: without `%rd` an IPv6 port cannot be told apart). */
function endpoint(text: string, what: string): Endpoint | string {
  const pct = text.indexOf('%');
  let address: string;
  let routeDomain: string | null = null;
  let portText: string;
  if (pct >= 0) {
    address = text.slice(0, pct);
    const colon = text.indexOf(':', pct);
    if (colon < 0) return `${what} ${JSON.stringify(text)} has no port`;
    routeDomain = text.slice(pct + 1, colon);
    if (smallInt(routeDomain) === null) return `${what} ${JSON.stringify(text)}: route domain ${JSON.stringify(routeDomain)} is not a number`;
    portText = text.slice(colon + 1);
  } else {
    const colon = text.indexOf(':');
    if (colon < 0) return `${what} ${JSON.stringify(text)} has no port`;
    if (text.indexOf(':', colon + 1) >= 0) return `${what} ${JSON.stringify(text)}: an IPv6 address needs its %route-domain to tell it from the port`;
    address = text.slice(0, colon);
    portText = text.slice(colon + 1);
  }
  const port = portNumber(portText);
  if (port === null) return `${what} ${JSON.stringify(text)}: port ${JSON.stringify(portText)} is not a port number`;
  return { address, routeDomain, port };
}

/** Where `LSN_` starts as a word in the message, or -1. */
function tagAt(msg: string): number {
  let i = msg.indexOf('LSN_');
  while (i > 0 && msg.charCodeAt(i - 1) !== 32) i = msg.indexOf('LSN_', i + 4);
  return i;
}

function readLine(s: NatSetup, text: string, lineNo: number, sink: ParseSink): void {
  const h = s.header(text);
  const at = tagAt(text);
  if (at < 0) return sink.skip(lineNo, 'not an F5 LSN record (no LSN_ event)');
  const words = text.slice(at).split(' ').filter((w) => w.length > 0);
  const name = words[0];
  const kind = EVENTS[name];
  // PBA-mode event names were not found in any source: an unknown LSN_ event may be one, so
  // it is reported rather than passed over.
  if (kind === undefined) return sink.reject(lineNo, `unknown F5 LSN event ${name} (known: ${Object.keys(EVENTS).join(', ')})`);
  if (words.length !== 6) {
    return sink.reject(lineNo, `${name}: expected client%rd:port, protocol, translation%rd:port, destination and destination port; got ${words.length - 1} fields`);
  }
  const client = endpoint(words[1], 'client');
  if (typeof client === 'string') return sink.reject(lineNo, `${name}: ${client}`);
  const protocol = protocolOf(words[2]);
  if (protocol === undefined) return sink.reject(lineNo, `${name}: protocol ${JSON.stringify(words[2])} is not TCP, UDP or ICMP`);
  const nat = endpoint(words[3], 'translation');
  if (typeof nat === 'string') return sink.reject(lineNo, `${name}: ${nat}`);
  if (portNumber(words[5]) === null) return sink.reject(lineNo, `${name}: destination port ${JSON.stringify(words[5])} is not a port number`);
  const time = headerInstant(h);
  if (typeof time === 'string') return sink.reject(lineNo, time);
  emitNat(sink, lineNo, s, {
    event: kind, at: time, publicIp: nat.address, portStart: nat.port, portEnd: nat.port,
    privateIp: client.address, privateVrf: client.routeDomain, protocol, allocatedAt: null,
  });
}

export const f5Lsn: TextFormat = {
  name: 'f5-lsn',
  kind: 'nat',
  zoneless: SYSLOG_ZONELESS,
  summary: 'F5 BIG-IP CGNAT LSN_ADD/LSN_DELETE/LSN_INBOUND_* per-session records, %route-domain as the inside VRF',
  create(options, context) {
    const s = natSetup('f5-lsn', options, context);
    return statelessParser((text, lineNo, sink) => readLine(s, text, lineNo, sink), s);
  },
  sniff(line) {
    return / LSN_(?:INBOUND_)?(?:ADD|DELETE) /.test(line) || /^LSN_(?:INBOUND_)?(?:ADD|DELETE) /.test(line);
  },
};
