import type { ZoneUse } from '../zone-clock.js';
import type { NatEvent } from '../../events/schema.js';
import type { LineParser, ParseContext, ParseSink, TextFormat } from '../format.js';
import { hexEpochMs, tagAt } from './juniper-pba.js';
import { emitNat, endpointWithPort, headerInstant, isBlank, natSetup, portNumber, protocolOf, splitAddressPort, type NatSetup, SYSLOG_ZONELESS } from './nat-common.js';

/**
 * Junos MX MS-MPC / MS-MIC service-PIC logs (nat-log-formats.md §3.3):
 *
 *   {ss}MSVCS_LOG_SESSION_OPEN: App:none, xe-3/1/1.0#012 24.0.0.2:18575 [198.51.100.17:1048] -> 23.0.0.2:63 (UDP)
 *   host{ss}[jservices-nat]: JSERVICES_NAT_PORT_BLOCK_ALLOC: 10.0.0.1 -> 198.51.100.1:1024-2047 0x6a44007a
 *
 * Sessions become one-port blocks. The port-block shape is reconstructed from third-party
 * parsers, not seen verbatim, and its trailing `0x…` token is only possibly an epoch: it is used
 * as one only when it reads as a plausible Unix time, else the header time stands.
 */

const PBA_TAG = 'JSERVICES_NAT_PORT_BLOCK_';
const SESSION_TAG = 'MSVCS_LOG_SESSION_';
const PLAUSIBLE_FROM = Date.UTC(2000, 0, 1);
const DAY_MS = 86_400_000;

interface Pending {
  text: string;
  lineNo: number;
  tag: string;
}

class JservicesParser implements LineParser {
  /**
   * A session line cut where the PIC embedded a newline (`#012` when rsyslog escapes it; a
   * real line break when the collector does not): its first half waits here for the rest.
   */
  private pending: Pending | null = null;

  constructor(private readonly s: NatSetup, private readonly now: number) {}

  zoneUse(): ZoneUse {
    return { ...this.s.clock.use };
  }

  line(text: string, lineNo: number, sink: ParseSink): void {
    const p = this.pending;
    if (p !== null) {
      this.pending = null;
      if (text.indexOf(' -> ') >= 0 && text.indexOf(SESSION_TAG) < 0 && text.indexOf(PBA_TAG) < 0 && text.indexOf('JSERVICES_') < 0) {
        return this.session(`${p.text}#012${text}`, p.tag, p.lineNo, sink);
      }
      sink.reject(p.lineNo, `${p.tag}: no "<private> [<public>] -> <destination>" part (truncated line)`);
    }
    const s = text.indexOf(SESSION_TAG);
    if (s >= 0) return this.session(text, tagAt(text, s), lineNo, sink);
    const b = text.indexOf(PBA_TAG);
    if (b >= 0) return this.portBlock(text, tagAt(text, b), b, lineNo, sink);
    if (isBlank(text)) return sink.skip(lineNo, 'blank line');
    const other = text.indexOf('JSERVICES_');
    sink.skip(lineNo, other >= 0 ? `${tagAt(text, other)} is not an attribution record` : 'not a JSERVICES_NAT_PORT_BLOCK or MSVCS_LOG_SESSION record');
  }

  end(sink: ParseSink): void {
    const p = this.pending;
    if (p !== null) {
      this.pending = null;
      sink.reject(p.lineNo, `${p.tag}: no "<private> [<public>] -> <destination>" part (truncated line)`);
    }
  }

  private session(text: string, tag: string, lineNo: number, sink: ParseSink): void {
    let event: NatEvent['event'];
    if (tag === 'MSVCS_LOG_SESSION_OPEN') event = 'alloc';
    else if (tag === 'MSVCS_LOG_SESSION_CLOSE') event = 'release';
    else return sink.skip(lineNo, `${tag} is not a session open or close`);
    const from = text.indexOf(tag) + tag.length;
    const arrow = text.indexOf(' -> ', from);
    if (arrow < 0) {
      if (text.indexOf('[', from) < 0) {
        this.pending = { text, lineNo, tag };
        return;
      }
      return sink.reject(lineNo, `${tag}: no " -> <destination>" after the addresses`);
    }
    const open = text.lastIndexOf(' [', arrow);
    const close = open < from ? -1 : text.indexOf(']', open);
    if (close < 0 || close > arrow) return sink.reject(lineNo, `${tag}: no "[<public ip>:<port>]" before " -> "`);
    const nat = splitAddressPort(text.slice(open + 2, close));
    const port = portNumber(nat.port ?? undefined);
    if (port === null) return sink.reject(lineNo, `${tag}: translated "${text.slice(open + 2, close)}" is not <ip>:<port>`);
    // The private endpoint is the word before `[`, after a space or the `#012` escape.
    const sp = text.lastIndexOf(' ', open - 1);
    const esc = text.lastIndexOf('#012', open - 1);
    const start = Math.max(sp + 1, esc >= 0 ? esc + 4 : 0, from);
    const inside = endpointWithPort(text.slice(start, open), 'private end');
    if (typeof inside === 'string') return sink.reject(lineNo, `${tag}: ${inside}`);
    let protocol: number | null = null;
    const po = text.lastIndexOf('(');
    if (po > arrow) {
      const pc = text.indexOf(')', po);
      const name = text.slice(po + 1, pc < 0 ? text.length : pc);
      const p = protocolOf(name);
      if (p === undefined) return sink.reject(lineNo, `${tag}: protocol ${JSON.stringify(name)} is not TCP, UDP, ICMP or ICMPv6`);
      protocol = p;
    }
    const at = headerInstant(this.s.header(text));
    if (typeof at === 'string') return sink.reject(lineNo, `${tag}: ${at}`);
    emitNat(sink, lineNo, this.s, {
      event, at, publicIp: nat.address, portStart: port, portEnd: port,
      privateIp: inside.address, privateVrf: null, protocol, allocatedAt: null,
    });
  }

  private portBlock(text: string, tag: string, t: number, lineNo: number, sink: ParseSink): void {
    let event: NatEvent['event'];
    if (tag === 'JSERVICES_NAT_PORT_BLOCK_ALLOC') event = 'alloc';
    else if (tag === 'JSERVICES_NAT_PORT_BLOCK_RELEASE') event = 'release';
    else if (tag === 'JSERVICES_NAT_PORT_BLOCK_ACTIVE') event = 'interim';
    else return sink.skip(lineNo, `${tag} is not a port-block record`);
    let p = t + tag.length;
    if (text.charCodeAt(p) === 58 /* : */) p++;
    const words = text.slice(p).trim().split(/ +/);
    if (words.length < 3 || words[1] !== '->') return sink.reject(lineNo, `${tag}: expected "<private ip> -> <public ip>:<lo>-<hi>", got ${JSON.stringify(text.slice(p).trim())}`);
    const outside = words[2];
    const colon = outside.lastIndexOf(':');
    const dash = outside.indexOf('-', colon);
    const low = colon > 0 && dash > colon ? portNumber(outside.slice(colon + 1, dash)) : null;
    const high = dash > 0 ? portNumber(outside.slice(dash + 1)) : null;
    if (low === null || high === null) return sink.reject(lineNo, `${tag}: ${JSON.stringify(outside)} is not <public ip>:<lo>-<hi>`);

    let epoch: number | null = null;
    const trailing = words[3];
    if (trailing !== undefined && trailing.length > 2 && trailing.charCodeAt(0) === 48 && trailing.charCodeAt(1) === 120) {
      const e = hexEpochMs(trailing);
      if (typeof e === 'number' && e >= PLAUSIBLE_FROM && e <= this.now + DAY_MS) epoch = e;
    }
    let at: number;
    let allocatedAt: number | null = null;
    if (event === 'interim') {
      // Whether ACTIVE's token is its send time or (as with RT_SRC_NAT_PBA_INTERIM) the
      // allocation time is unknown; as allocatedAt it is right in the second case and harmless
      // in the first (it is then about the header time).
      const h = this.s.header(text);
      if (h.time !== null) {
        at = h.time;
        if (epoch !== null && epoch <= at) allocatedAt = epoch;
      } else if (epoch !== null) {
        at = epoch;
      } else {
        return sink.reject(lineNo, `${tag}: ${headerInstant(h)}`);
      }
    } else if (epoch !== null) {
      at = epoch;
    } else {
      const when = headerInstant(this.s.header(text));
      if (typeof when === 'string') return sink.reject(lineNo, `${tag}: ${when}`);
      at = when;
    }
    emitNat(sink, lineNo, this.s, {
      event, at, publicIp: outside.slice(0, colon), portStart: low, portEnd: high,
      privateIp: words[0], privateVrf: null, protocol: null, allocatedAt,
    });
  }
}

export const juniperJservices: TextFormat = {
  name: 'juniper-jservices',
  kind: 'nat',
  zoneless: SYSLOG_ZONELESS,
  summary: 'Junos MX MS-MPC JSERVICES_NAT_PORT_BLOCK_* port blocks and MSVCS_LOG_SESSION_OPEN/CLOSE sessions',
  create(options, context: ParseContext): LineParser {
    return new JservicesParser(natSetup('juniper-jservices', options, context), context.now);
  },
  sniff: (line) => line.includes(PBA_TAG) || line.includes(SESSION_TAG),
};
