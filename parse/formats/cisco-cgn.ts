import type { NatEvent } from '../../events/schema.js';
import type { LineParser, ParseSink, TextFormat } from '../format.js';
import { emitNat, headerInstant, insideHolder, isBlank, natSetup, portNumber, protocolOf, type NatSetup, zoneReport, SYSLOG_ZONELESS } from './nat-common.js';

/**
 * IOS-XR CGN syslog (CRS CGSE, ASR9K ISM/VSM; nat-log-formats.md §4.1), as Cisco's own code
 * writes it:
 *
 *   <134> 1 2011 May 31 10:30:45 192.168.2.3 - - NAT44 - [UserbasedA - 10.0.0.1 Broadband - 100.1.1.1 - 2048 3071 - - ][…]
 *
 * One line carries several records; each is
 * `[Event L4 insideIPv4 insideVRF insideIPv6 outsideIP insidePort firstPort lastPort dstIP dstPort ]`
 * with `-` for what does not apply. The header time is UTC (gmtime_r) and every record in the
 * packet happened within a second of it, so all records take it.
 */

const FIELDS = 11;

function eventOf(name: string): { event: NatEvent['event']; block: boolean } | null {
  switch (name) {
    case 'UserbasedA': return { event: 'alloc', block: true };
    case 'UserbasedW': return { event: 'release', block: true };
    case 'SessionbasedA': case 'SessionbasedAD': return { event: 'alloc', block: false };
    case 'SessionbasedW': case 'SessionbasedWD': return { event: 'release', block: false };
    default: return null;
  }
}

function dash(text: string | undefined): boolean {
  return text === '-';
}

function parseLine(s: NatSetup, line: string, lineNo: number, sink: ParseSink): void {
  const h = s.header(line);
  const text = h.message;
  let open = text.indexOf('[');
  if (open < 0) {
    return sink.skip(lineNo, isBlank(line) ? 'blank line' : 'no [record] in the line: not an IOS-XR CGN NAT log');
  }
  let at: number | string | undefined;
  let emitted = 0;
  let refused = 0;
  let skipped: string | null = null;
  for (let n = 1; open >= 0; n++) {
    const close = text.indexOf(']', open);
    const body = text.slice(open + 1, close < 0 ? text.length : close);
    const f = body.split(' ').filter((w) => w.length > 0);
    const name = f[0] ?? '';
    const kind = eventOf(name);
    const where = `record ${n} (${name || 'empty'})`;
    open = close < 0 ? -1 : text.indexOf('[', close);
    if (kind === null) {
      // Portblockrunout, TCPseqmismatch: device state, not who held a port.
      skipped ??= `${name || 'empty record'} is not an attribution record`;
      continue;
    }
    refused++;
    if (close < 0) {
      sink.reject(lineNo, `${where}: not closed by "]" (truncated line)`);
      continue;
    }
    if (f.length < FIELDS - 2) {
      sink.reject(lineNo, `${where}: ${f.length} fields, expected ${FIELDS}`);
      continue;
    }
    const [, l4, inside4, vrf, inside6, outside, , first, last] = f;
    const privateIp = insideHolder(dash(inside4) ? null : inside4, dash(inside6) ? null : inside6);
    if (privateIp === null) {
      sink.reject(lineNo, `${where}: neither an inside IPv4 nor an IPv6 (B4) address`);
      continue;
    }
    const portStart = portNumber(first);
    if (portStart === null) {
      sink.reject(lineNo, `${where}: first port ${JSON.stringify(first)} is not a port`);
      continue;
    }
    let portEnd = portStart;
    let protocol: number | null = null;
    if (kind.block) {
      const end = portNumber(last);
      if (end === null) {
        sink.reject(lineNo, `${where}: last port ${JSON.stringify(last)} is not a port`);
        continue;
      }
      portEnd = end;
    } else {
      const p = protocolOf(l4);
      if (p === undefined) {
        sink.reject(lineNo, `${where}: L4 protocol ${JSON.stringify(l4)} is not TCP (6), UDP (17) or ICMP (1)`);
        continue;
      }
      protocol = p;
    }
    if (at === undefined) at = headerInstant(h);
    if (typeof at === 'string') {
      sink.reject(lineNo, `${where}: ${at}`);
      continue;
    }
    refused--;
    emitted++;
    emitNat(sink, lineNo, s, {
      event: kind.event, at, publicIp: outside, portStart, portEnd, privateIp,
      privateVrf: dash(vrf) ? null : vrf, protocol, allocatedAt: null,
    });
  }
  if (emitted === 0 && refused === 0) sink.skip(lineNo, skipped ?? 'no attribution record in the line');
}

export const ciscoCgn: TextFormat = {
  name: 'cisco-cgn',
  kind: 'nat',
  zoneless: SYSLOG_ZONELESS,
  summary: 'Cisco IOS-XR CGN syslog [UserbasedA/W …] port blocks and [Sessionbased…] sessions, several records a line (UTC)',
  create(options, context): LineParser {
    const s = natSetup('cisco-cgn', options, context);
    return {
      line: (text, lineNo, sink) => parseLine(s, text, lineNo, sink),
      end: () => {},
      ...zoneReport(s),
    };
  },
  sniff: (line) => line.includes('[UserbasedA ') || line.includes('[UserbasedW ') || line.includes('[Sessionbased') || line.includes('[Portblockrunout'),
};
