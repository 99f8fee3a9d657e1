import type { ParseSink, TextFormat } from '../format.js';
import { readPairs } from './kv.js';
import { emitNat, endpointWithPort, headerInstant, natSetup, portNumber, protocolOf, splitAddressPort, statelessParser, type NatSetup, SYSLOG_ZONELESS } from './nat-common.js';

/**
 * A10 Thunder CGN logs (nat-log-formats.md §5): the CEF form (also with its `CEF:` dropped by a
 * relay), and the ASCII `NAT-<proto>-<C|D|B|U>` and `FIXED-NAT-PORTS` forms. Neither carries a
 * time, so the syslog header's is used.
 */

type Kind = 'alloc' | 'release';

/** CEF classes that are attribution records; `batch` ones carry the last port in cn3. */
const CEF_CLASSES: Record<string, { kind: Kind; batch: boolean }> = {
  '100': { kind: 'alloc', batch: false }, // Nat Port Allocated
  '101': { kind: 'release', batch: false }, // Nat Port Freed
  '102': { kind: 'alloc', batch: false }, // Nat Session Created
  '103': { kind: 'release', batch: false }, // by the reference's reading of a parser's mapping; no sample
  '106': { kind: 'alloc', batch: true }, // Nat Port Batch Pool Allocated
  '107': { kind: 'release', batch: true }, // Nat Port Batch Pool Freed
};

// The ASCII tag, `NAT-<proto>-<event letter>:`.
const ASCII_TAG = /(?:^|\s)NAT-([A-Z0-9]+)-([A-Z]):/;
// `src:sport -> xip: xport` (port mapping; the template shows a space after the colon), also
// `src:sport<-->xip:xport to dst:dport` as the reference's third-party regex expects it.
const ASCII_PORT = /^(\S+?):\s*(\d+)\s*(?:->|<->|<-->)\s*(\S+?):\s*(\d+)(?:\s+to\s+(\S+?):\s*(\d+))?$/;
// `fwd_src:port<->fwd_dst:port, rev_a:port<-->rev_b:port` (session).
const ASCII_SESSION = /^(\S+?):(\d+)\s*<->\s*(\S+?):(\d+)\s*,\s*(\S+?):(\d+)\s*<-->\s*(\S+?):(\d+)$/;
const FIXED = /FIXED-NAT-PORTS\s+(.*)$/;
// A CEF record whose `CEF:` a relay took for the program name and dropped: `0|A10|CFW|…`. The
// version, vendor and the pipes of the seven header fields still say what it is.
const BARE_CEF = /(?:^|\s)\d{1,3}\|A10\|/;

/** Where the CEF header's version field starts, or -1: after `CEF:`, or a bare `<version>|A10|`. */
function cefStart(text: string): number {
  const tagged = text.indexOf('CEF:');
  if (tagged >= 0) return tagged + 4;
  const bare = BARE_CEF.exec(text);
  if (bare === null) return -1;
  return bare.index + (bare[0].charCodeAt(0) <= 32 ? 1 : 0);
}

function readLine(s: NatSetup, text: string, lineNo: number, sink: ParseSink): void {
  // Records are found in the whole line: how the header reader splits host, app and message
  // around them (`NAT-UDP-C:` reads as an app name) does not matter, only its time does.
  const h = s.header(text);
  const cef = cefStart(text);
  if (cef >= 0) return readCef(s, text, cef, headerInstant(h), lineNo, sink);
  const tag = ASCII_TAG.exec(text);
  if (tag) return readAscii(s, tag, headerInstant(h), lineNo, sink);
  const fixed = FIXED.exec(text);
  if (fixed) return readFixed(s, fixed[1], headerInstant(h), lineNo, sink);
  sink.skip(lineNo, 'not an A10 CGN record (no CEF header, NAT-<proto>-<event> tag or FIXED-NAT-PORTS)');
}

/** The seven CEF header fields and the extension text after them (a `\|` is part of a field). */
function cefFields(msg: string, from: number): string[] | string {
  const fields: string[] = [];
  let start = from;
  for (let i = from; i < msg.length && fields.length < 7; i++) {
    const c = msg.charCodeAt(i);
    if (c === 92 /* \ */) i++;
    else if (c === 124 /* | */) {
      fields.push(msg.slice(start, i));
      start = i + 1;
    }
  }
  if (fields.length < 7) return `CEF header has ${fields.length} of its 7 fields (truncated line?)`;
  fields.push(msg.slice(start));
  return fields;
}

function readCef(s: NatSetup, msg: string, from: number, headerAt: number | string, lineNo: number, sink: ParseSink): void {
  const f = cefFields(msg, from);
  if (typeof f === 'string') return sink.reject(lineNo, f);
  if (f[1] !== 'A10') return sink.reject(lineNo, `CEF vendor ${JSON.stringify(f[1])} is not A10`);
  const signature = f[4];
  if (!signature.startsWith('CGN ')) return sink.skip(lineNo, `A10 CEF event ${JSON.stringify(signature)} is not a CGN record`);
  const cls = CEF_CLASSES[signature.slice(4)];
  if (cls === undefined) return sink.skip(lineNo, `A10 ${signature} (${f[5]}) is not a port, session or batch record`);
  const ext = readPairs(f[7], 0, false);
  if (typeof ext === 'string') return sink.reject(lineNo, ext);

  const src = ext.get('src');
  if (src === undefined) return sink.reject(lineNo, `${signature}: src (private address) missing`);
  const xip = ext.get('sourceTranslatedAddress');
  if (xip === undefined) return sink.reject(lineNo, `${signature}: sourceTranslatedAddress (public address) missing`);
  const xportText = ext.get('sourceTranslatedPort');
  const first = portNumber(xportText);
  if (first === null) return sink.reject(lineNo, `${signature}: sourceTranslatedPort ${xportText === undefined ? 'missing' : `${JSON.stringify(xportText)} is not a port`}`);
  const protoText = ext.get('proto');
  const protocol = protocolOf(protoText);
  // Batches and ports are per protocol; stored as "all protocols" they would overlap another
  // subscriber's batch of the same ports in another protocol.
  if (protocol === undefined) return sink.reject(lineNo, `${signature}: proto ${protoText === undefined ? 'missing' : `${JSON.stringify(protoText)} is not TCP, UDP or ICMP`}`);
  let last = first;
  if (cls.batch) {
    const label = ext.get('cn3Label');
    if (label !== 'Last Nat Port') return sink.reject(lineNo, `${signature}: cn3Label ${label === undefined ? 'missing' : JSON.stringify(label)}, expected "Last Nat Port" naming cn3 as the batch's last port`);
    const lastText = ext.get('cn3');
    const n = portNumber(lastText);
    if (n === null) return sink.reject(lineNo, `${signature}: cn3 (last port) ${lastText === undefined ? 'missing' : `${JSON.stringify(lastText)} is not a port`}`);
    last = n;
  }
  // CEF's rt (receipt time, ms since 1970) is the record's own time when a template adds it.
  let at = headerAt;
  const rt = ext.get('rt');
  if (rt !== undefined) {
    const ms = /^\d{12,14}$/.test(rt) ? Number(rt) : NaN;
    if (Number.isNaN(ms)) return sink.reject(lineNo, `${signature}: rt ${JSON.stringify(rt)} is not milliseconds since 1970`);
    at = ms;
  }
  if (typeof at === 'string') return sink.reject(lineNo, at);
  emitNat(sink, lineNo, s, {
    event: cls.kind, at, publicIp: xip, portStart: first, portEnd: last, privateIp: src, privateVrf: null, protocol, allocatedAt: null,
  });
}

const ASCII_EVENTS: Record<string, Kind> = { C: 'alloc', B: 'alloc', D: 'release' };

function readAscii(s: NatSetup, tag: RegExpExecArray, at: number | string, lineNo: number, sink: ParseSink): void {
  const name = `NAT-${tag[1]}-${tag[2]}`;
  if (tag[2] === 'U') return sink.skip(lineNo, `${name} is an update record (its meaning is not documented)`);
  const kind = ASCII_EVENTS[tag[2]];
  if (kind === undefined) return sink.reject(lineNo, `${name}: unknown event letter ${tag[2]} (expected C, B, D or U)`);
  const protocol = protocolOf(tag[1]);
  if (protocol === undefined) return sink.reject(lineNo, `${name}: unknown protocol ${tag[1]}`);
  const body = tag.input.slice(tag.index + tag[0].length).trim();
  let privateIp: string;
  let publicIp: string;
  let port: number | null;
  const session = ASCII_SESSION.exec(body);
  if (session) {
    // Which end of the reverse tuple is the translated one differs between the template
    // and the parser regex the reference quotes; the end that is not the destination is.
    const dst = `${session[3]}:${session[4]}`;
    const a = `${session[5]}:${session[6]}`;
    const b = `${session[7]}:${session[8]}`;
    if ((a === dst) === (b === dst)) {
      return sink.reject(lineNo, `${name}: the reverse tuple must name the destination ${dst} once; cannot tell the translated address`);
    }
    const inside = endpointWithPort(`${session[1]}:${session[2]}`, 'inside end');
    if (typeof inside === 'string') return sink.reject(lineNo, `${name}: ${inside}`);
    privateIp = inside.address;
    publicIp = a === dst ? session[7] : session[5];
    port = portNumber(a === dst ? session[8] : session[6]);
  } else {
    const mapping = ASCII_PORT.exec(body);
    if (!mapping) {
      return sink.reject(lineNo, `${name}: expected "inside:port -> outside:port" or "fwd_src:port<->dst:port, rev:port<-->rev:port", got ${JSON.stringify(body.slice(0, 120))}`);
    }
    const inside = endpointWithPort(`${mapping[1]}:${mapping[2]}`, 'inside end');
    if (typeof inside === 'string') return sink.reject(lineNo, `${name}: ${inside}`);
    privateIp = inside.address;
    publicIp = mapping[3];
    port = portNumber(mapping[4]);
  }
  if (port === null) return sink.reject(lineNo, `${name}: translated port is not a port number`);
  if (typeof at === 'string') return sink.reject(lineNo, at);
  emitNat(sink, lineNo, s, { event: kind, at, publicIp, portStart: port, portEnd: port, privateIp, privateVrf: null, protocol, allocatedAt: null });
}

/**
 * `FIXED-NAT-PORTS inside->outside:first-last`: a fixed-NAT (deterministic) mapping as the
 * device states it. It opens the block for all protocols from the line's time on.
 */
function readFixed(s: NatSetup, rest: string, at: number | string, lineNo: number, sink: ParseSink): void {
  const fullText = rest.trim();
  if (fullText.includes(' ')) return sink.reject(lineNo, `FIXED-NAT-PORTS: unexpected text in ${JSON.stringify(fullText.slice(0, 120))}`);
  const arrow = fullText.indexOf('->');
  if (arrow <= 0) return sink.reject(lineNo, 'FIXED-NAT-PORTS: expected "inside->outside:first-last"');
  const inside = fullText.slice(0, arrow);
  const { address, port } = splitAddressPort(fullText.slice(arrow + 2));
  if (port === null) return sink.reject(lineNo, 'FIXED-NAT-PORTS: outside address has no ":first-last" port range');
  const dash = port.indexOf('-');
  const first = portNumber(dash < 0 ? undefined : port.slice(0, dash));
  const last = portNumber(dash < 0 ? undefined : port.slice(dash + 1));
  if (first === null || last === null) return sink.reject(lineNo, `FIXED-NAT-PORTS: port range ${JSON.stringify(port)} is not "first-last"`);
  if (typeof at === 'string') return sink.reject(lineNo, at);
  emitNat(sink, lineNo, s, { event: 'alloc', at, publicIp: address, portStart: first, portEnd: last, privateIp: inside, privateVrf: null, protocol: null, allocatedAt: null });
}

export const a10: TextFormat = {
  name: 'a10',
  kind: 'nat',
  zoneless: SYSLOG_ZONELESS,
  summary: 'A10 Thunder CGN syslog: CEF "CGN 100-103/106/107" and ASCII NAT-<proto>-<C|D|B|U>, FIXED-NAT-PORTS',
  create(options, context) {
    const s = natSetup('a10', options, context);
    return statelessParser((text, lineNo, sink) => readLine(s, text, lineNo, sink), s);
  },
  sniff(line) {
    return line.includes('CEF:0|A10|') || BARE_CEF.test(line) || line.includes('FIXED-NAT-PORTS ') || ASCII_TAG.test(line);
  },
};
