import type { NatEvent } from '../../events/schema.js';
import type { LineParser, ParseSink, TextFormat } from '../format.js';
import { emitNat, headerInstant, isBlank, natSetup, portNumber, protocolOf, type NatSetup, zoneReport, SYSLOG_ZONELESS } from './nat-common.js';

/**
 * Cisco ASA / FTD translation logs (nat-log-formats.md §4.4):
 *
 *   %ASA-6-305011: Built dynamic TCP translation from inside:10.1.1.1/1234 to outside:192.0.2.1/40000
 *   %ASA-6-305012: Teardown dynamic UDP translation from inside:… to outside:…/… duration 0:00:00
 *   %ASA-6-305009 / 305010: the same without ports (address-only NAT)
 *   %ASA-6-305014 / 305015: a PAT port block, `to outside:192.0.2.1/1024-1535`
 *
 * Interfaces may carry decorations (`Outside(rule):`, `inside:10.1.1.1/1234(LOCAL\user)`),
 * so the interface is everything up to the first colon outside parentheses. ASA timestamps
 * are off by default; without one (from the device or a relay) a record has no time and is
 * rejected.
 */

interface Kind {
  event: NatEvent['event'];
  ports: 'one' | 'none' | 'block';
}

const KINDS: Record<string, Kind> = {
  '305009': { event: 'alloc', ports: 'none' },
  '305010': { event: 'release', ports: 'none' },
  '305011': { event: 'alloc', ports: 'one' },
  '305012': { event: 'release', ports: 'one' },
  '305014': { event: 'alloc', ports: 'block' },
  '305015': { event: 'release', ports: 'block' },
};

interface Endpoint {
  address: string;
  port: number | null;
  portEnd: number | null;
}

/** `if[(decoration)]:address[/port[-end]][(decoration)]`; a string says what is wrong. */
function readEndpoint(text: string, side: string): Endpoint | string {
  let depth = 0;
  let colon = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40) depth++;
    else if (c === 41) depth--;
    else if (c === 58 && depth === 0) {
      colon = i;
      break;
    }
  }
  if (colon < 0) return `${side} ${JSON.stringify(text)} is not <interface>:<address>`;
  let end = text.length;
  while (end > colon && text.charCodeAt(end - 1) === 46 /* trailing . */) end--;
  const paren = text.indexOf('(', colon);
  if (paren > 0 && paren < end) end = paren;
  const slash = text.indexOf('/', colon);
  if (slash < 0 || slash > end) return { address: text.slice(colon + 1, end), port: null, portEnd: null };
  const ports = text.slice(slash + 1, end);
  const dash = ports.indexOf('-');
  const port = portNumber(dash < 0 ? ports : ports.slice(0, dash));
  const portEnd = dash < 0 ? port : portNumber(ports.slice(dash + 1));
  if (port === null || portEnd === null) return `${side} port ${JSON.stringify(ports)} is not a port or <lo>-<hi>`;
  return { address: text.slice(colon + 1, slash), port, portEnd };
}

/** `h:mm:ss` (hours may exceed 24) in ms, or null. */
function durationMs(text: string): number | null {
  const a = text.indexOf(':');
  const b = text.indexOf(':', a + 1);
  if (a < 1 || b !== a + 3 || text.length !== b + 3) return null;
  const h = Number(text.slice(0, a));
  const m = portNumber(text.slice(a + 1, b));
  const s = portNumber(text.slice(b + 1));
  if (!Number.isInteger(h) || h < 0 || m === null || s === null || m > 59 || s > 59) return null;
  return ((h * 60 + m) * 60 + s) * 1000;
}

function messageStart(text: string): number {
  const a = text.indexOf('%ASA-');
  return a >= 0 ? a : text.indexOf('%FTD-');
}

function parseLine(s: NatSetup, text: string, lineNo: number, sink: ParseSink): void {
  const m = messageStart(text);
  if (m < 0) return sink.skip(lineNo, isBlank(text) ? 'blank line' : 'not an %ASA-/%FTD- message');
  const colon = text.indexOf(':', m);
  const tag = text.slice(m, colon < 0 ? text.length : colon);
  const id = tag.slice(tag.lastIndexOf('-') + 1);
  const kind = KINDS[id];
  if (kind === undefined) return sink.skip(lineNo, `${tag} is not a translation record`);

  const fromAt = text.indexOf(' from ', colon);
  const toAt = fromAt < 0 ? -1 : text.indexOf(' to ', fromAt + 6);
  if (toAt < 0) return sink.reject(lineNo, `${tag}: no "from <interface>:<real> to <interface>:<mapped>"`);
  let mappedEnd = text.indexOf(' ', toAt + 4);
  if (mappedEnd < 0) mappedEnd = text.length;
  const real = readEndpoint(text.slice(fromAt + 6, toAt), 'real address');
  if (typeof real === 'string') return sink.reject(lineNo, `${tag}: ${real}`);
  const mapped = readEndpoint(text.slice(toAt + 4, mappedEnd), 'mapped address');
  if (typeof mapped === 'string') return sink.reject(lineNo, `${tag}: ${mapped}`);

  let portStart: number | null = null;
  let portEnd: number | null = null;
  let protocol: number | null = null;
  if (kind.ports !== 'none') {
    if (mapped.port === null) return sink.reject(lineNo, `${tag}: mapped address has no /port`);
    if (kind.ports === 'one' && mapped.portEnd !== mapped.port) return sink.reject(lineNo, `${tag}: mapped port is a range, expected one port`);
    portStart = mapped.port;
    portEnd = mapped.portEnd;
    // The protocol is a word of `Built dynamic TCP translation` / `Allocated TCP block of ports`.
    const words = text.slice(colon + 1, fromAt).split(' ');
    for (const w of words) {
      const p = w.length > 0 && w.length <= 6 ? protocolOf(w) : undefined;
      if (p !== undefined) {
        protocol = p;
        break;
      }
    }
    if (protocol === null && kind.ports === 'one') return sink.reject(lineNo, `${tag}: no TCP, UDP or ICMP before "from"`);
  }

  const at = headerInstant(s.header(text));
  if (typeof at === 'string') return sink.reject(lineNo, `${tag}: ${at} (enable \`logging timestamp\` or have the relay add one)`);
  let allocatedAt: number | null = null;
  if (kind.event === 'release') {
    const d = text.indexOf(' duration ', mappedEnd);
    if (d >= 0) {
      let durEnd = text.indexOf(' ', d + 10);
      if (durEnd < 0) durEnd = text.length;
      if (text.charCodeAt(durEnd - 1) === 46 /* . */) durEnd--;
      const durText = text.slice(d + 10, durEnd);
      const ms = durationMs(durText);
      if (ms === null) return sink.reject(lineNo, `${tag}: duration ${JSON.stringify(durText)} is not h:mm:ss`);
      allocatedAt = at - ms;
    }
  }
  emitNat(sink, lineNo, s, {
    event: kind.event, at, publicIp: mapped.address, portStart, portEnd,
    privateIp: real.address, privateVrf: null, protocol, allocatedAt,
  });
}

export const ciscoAsa: TextFormat = {
  name: 'cisco-asa',
  kind: 'nat',
  zoneless: SYSLOG_ZONELESS,
  summary: 'Cisco ASA/FTD %ASA-6-305009..305015 translation build/teardown and PAT port-block logs',
  create(options, context): LineParser {
    const s = natSetup('cisco-asa', options, context);
    return {
      line: (text, lineNo, sink) => parseLine(s, text, lineNo, sink),
      end: () => {},
      ...zoneReport(s),
    };
  },
  sniff: (line) => {
    const m = messageStart(line);
    return m >= 0 && line.startsWith('-3050', m + 6);
  },
};
