import type { ParseSink, TextFormat } from '../format.js';
import { emitNat, endpointWithPort, headerInstant, natSetup, portNumber, protocolOf, splitAddressPort, statelessParser, type NatSetup, SYSLOG_ZONELESS } from './nat-common.js';

/**
 * NFWare vCGNAT records (nat-log-formats.md §12):
 *   A VRF 0 INT 10.0.0.1 EXT 100.64.0.1                       address mapping (no ports)
 *   A VRF 0 6 INT 10.0.0.1:57938 EXT 100.64.0.1:28475         port mapping (one port)
 *   A VRF 0 6 INT … EXT … DST 185.165.123.206:443 DIR OUT     session (one port)
 *   A VRF 0 INT 10.0.0.1 EXT 100.64.0.1:1024-1535             port block (all protocols)
 * `A` adds, `D` deletes; the VRF is the inside VRF. Only the header carries a time.
 */

const RECORD = /(?:^|\s)([AD]) VRF /;

function readLine(s: NatSetup, text: string, lineNo: number, sink: ParseSink): void {
  const h = s.header(text);
  const m = RECORD.exec(text);
  if (!m) return sink.skip(lineNo, 'not an NFWare NAT record (no "A VRF" / "D VRF")');
  const w = text.slice(m.index + m[0].length - 6).split(' ').filter((x) => x.length > 0);
  // w: [A|D, VRF, id, proto?, INT, addr, EXT, addr, (DST addr)?, (DIR dir)?]
  const event = w[0] === 'A' ? 'alloc' : 'release';
  const vrf = w[2];
  if (vrf === undefined) return sink.reject(lineNo, 'VRF id missing');
  let i = 3;
  let protocol: number | null = null;
  if (w[i] !== undefined && w[i] !== 'INT') {
    const p = protocolOf(w[i]);
    if (p === undefined) return sink.reject(lineNo, `protocol ${JSON.stringify(w[i])} is not 6, 17 or 1`);
    protocol = p;
    i++;
  }
  if (w[i] !== 'INT' || w[i + 1] === undefined) return sink.reject(lineNo, 'INT (inside address) missing');
  // Port and session records (those naming a protocol) give the inside end with its port.
  const insideEnd = protocol === null ? null : endpointWithPort(w[i + 1], 'INT');
  if (typeof insideEnd === 'string') return sink.reject(lineNo, insideEnd);
  const inside = insideEnd === null ? splitAddressPort(w[i + 1]) : { address: insideEnd.address, port: String(insideEnd.port) };
  if (w[i + 2] !== 'EXT' || w[i + 3] === undefined) return sink.reject(lineNo, 'EXT (outside address) missing');
  const outside = splitAddressPort(w[i + 3]);
  i += 4;
  while (i < w.length) {
    if ((w[i] !== 'DST' && w[i] !== 'DIR') || w[i + 1] === undefined) {
      return sink.reject(lineNo, `unexpected ${JSON.stringify(w[i])} after EXT (expected DST address or DIR direction)`);
    }
    i += 2;
  }

  let portStart: number | null = null;
  let portEnd: number | null = null;
  if (outside.port !== null) {
    const dash = outside.port.indexOf('-');
    portStart = portNumber(dash < 0 ? outside.port : outside.port.slice(0, dash));
    portEnd = dash < 0 ? portStart : portNumber(outside.port.slice(dash + 1));
    if (portStart === null || portEnd === null) return sink.reject(lineNo, `EXT port ${JSON.stringify(outside.port)} is not a port or "first-last" range`);
    // A single port without a protocol would be stored as that port in every protocol.
    if (dash < 0 && protocol === null) return sink.reject(lineNo, 'EXT names one port but the record has no protocol');
  } else if (protocol !== null) {
    return sink.reject(lineNo, 'the record names a protocol but EXT has no port');
  }
  if (inside.port !== null && portNumber(inside.port) === null) return sink.reject(lineNo, `INT port ${JSON.stringify(inside.port)} is not a port`);
  const at = headerInstant(h);
  if (typeof at === 'string') return sink.reject(lineNo, at);
  emitNat(sink, lineNo, s, {
    event, at, publicIp: outside.address, portStart, portEnd, privateIp: inside.address, privateVrf: vrf, protocol, allocatedAt: null,
  });
}

export const nfware: TextFormat = {
  name: 'nfware',
  kind: 'nat',
  zoneless: SYSLOG_ZONELESS,
  summary: 'NFWare vCGNAT "A|D VRF n [proto] INT … EXT …" address, port, session and port-block records',
  create(options, context) {
    const s = natSetup('nfware', options, context);
    return statelessParser((text, lineNo, sink) => readLine(s, text, lineNo, sink), s);
  },
  sniff(line) {
    return RECORD.test(line) && line.includes(' INT ') && line.includes(' EXT ');
  },
};
