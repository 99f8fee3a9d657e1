import type { ParseSink, TextFormat } from '../format.js';
import { readPairs } from './kv.js';
import { emitNat, headerInstant, insideHolder, natSetup, portNumber, protocolOf, smallInt, statelessParser, type NatSetup, SYSLOG_ZONELESS } from './nat-common.js';

/**
 * FD.io VPP NAT44 / DS-Lite syslog (nat-log-formats.md §11), RFC 5424 with structured data:
 *   <PRI>1 <time> <host> NAT <procid> APMADD [napmap SSUBIX="…" SVLAN="…" IATYP="IPv4" ISADDR="…"
 *     ISPORT="…" XATYP="IPv4" XSADDR="…" XSPORT="…" PROTO="…"]
 * APMADD/APMDEL (address-and-port mapping) and SADD/SDEL (session, SD-ID nsess) are one-port
 * blocks. SVLAN (inside FIB table) is the inside VRF.
 *
 * DS-Lite writes SV6ENC (the B4's IPv6 address) instead of SVLAN; the inside IPv4 behind a
 * B4 is the same for every subscriber (192.0.0.x), so the B4 address is what names the
 * subscriber and becomes privateIp.
 */

const MSGIDS: Record<string, { event: 'alloc' | 'release'; sdId: string }> = {
  APMADD: { event: 'alloc', sdId: 'napmap' },
  APMDEL: { event: 'release', sdId: 'napmap' },
  SADD: { event: 'alloc', sdId: 'nsess' },
  SDEL: { event: 'release', sdId: 'nsess' },
};

function readLine(s: NatSetup, text: string, lineNo: number, sink: ParseSink): void {
  const h = s.header(text);
  if (h.msgid === null) return sink.skip(lineNo, 'not an RFC 5424 VPP NAT record (no MSGID)');
  const m = MSGIDS[h.msgid];
  if (m === undefined) return sink.skip(lineNo, `MSGID ${h.msgid} is not a NAT mapping or session record`);
  const sd = h.structuredData;
  if (sd === null) return sink.reject(lineNo, `${h.msgid}: structured data missing`);
  const open = `[${m.sdId} `;
  if (!sd.startsWith(open)) return sink.reject(lineNo, `${h.msgid}: expected SD-ID ${m.sdId}, got ${JSON.stringify(sd.slice(0, 20))}`);
  if (!sd.endsWith(']')) return sink.reject(lineNo, `${h.msgid}: structured data is not closed (truncated line?)`);
  const p = readPairs(sd.slice(open.length, -1), 0, true);
  if (typeof p === 'string') return sink.reject(lineNo, `${h.msgid}: ${p}`);

  const b4 = p.get('SV6ENC');
  const privateIp = insideHolder(p.get('ISADDR') ?? null, b4 ?? null);
  if (privateIp === null) return sink.reject(lineNo, `${h.msgid}: ISADDR (inside address) missing, and no SV6ENC (B4 address)`);
  const vlan = p.get('SVLAN');
  if (vlan !== undefined && smallInt(vlan) === null) return sink.reject(lineNo, `${h.msgid}: SVLAN ${JSON.stringify(vlan)} is not a FIB table id`);
  const xsaddr = p.get('XSADDR');
  if (xsaddr === undefined) return sink.reject(lineNo, `${h.msgid}: XSADDR (outside address) missing`);
  const xsport = p.get('XSPORT');
  const port = portNumber(xsport);
  if (port === null) return sink.reject(lineNo, `${h.msgid}: XSPORT ${xsport === undefined ? 'missing' : `${JSON.stringify(xsport)} is not a port`}`);
  const protoText = p.get('PROTO');
  const protocol = protocolOf(protoText);
  if (protocol === undefined) return sink.reject(lineNo, `${h.msgid}: PROTO ${protoText === undefined ? 'missing' : `${JSON.stringify(protoText)} is not 6, 17 or 1`}`);
  const at = headerInstant(h);
  if (typeof at === 'string') return sink.reject(lineNo, `${h.msgid}: ${at}`);
  emitNat(sink, lineNo, s, {
    event: m.event, at, publicIp: xsaddr, portStart: port, portEnd: port, privateIp,
    privateVrf: b4 === undefined ? (vlan ?? null) : null, protocol, allocatedAt: null,
  });
}

export const vpp: TextFormat = {
  name: 'vpp',
  kind: 'nat',
  zoneless: SYSLOG_ZONELESS,
  summary: 'FD.io VPP / TNSR NAT syslog (RFC 5424): APMADD/APMDEL mappings and SADD/SDEL sessions as one-port blocks',
  create(options, context) {
    const s = natSetup('vpp', options, context);
    return statelessParser((text, lineNo, sink) => readLine(s, text, lineNo, sink), s);
  },
  sniff(line) {
    return / (?:APMADD|APMDEL|SADD|SDEL) \[(?:napmap|nsess) /.test(line);
  },
};
