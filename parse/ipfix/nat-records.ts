import { natProblem } from '../../events/wire.js';
import { bytesToIp } from '../../core/ip.js';
import type { NatEvent } from '../../events/schema.js';
import type { SourceOptions } from '../../schemas/source-config.js';
import { vrfNamer } from '../vrf.js';

/**
 * Turns decoded NetFlow v9 / IPFIX data records into canonical NAT events (reference §16, §4.2).
 * One mapper per exporter: it holds what that exporter taught us (VRF names from option
 * records, open Cisco blocks) and the exporter's natEvent numbering.
 *
 * Choices where the reference leaves room:
 * - portRangeStepSize > 1 names ports {start + k·step}; a covering range would attribute other
 *   subscribers' ports, so each port becomes a one-port event (up to maxPortsPerRecord, else reject).
 * - 'juniper' numbering means draft-02 for IPFIX and create/delete/exhausted (1/2/3) for v9.
 *   Generic create/delete (RFC 8158 1/2, Juniper v9 1/2) is a block when 361 is present, else one port.
 * - The inside address is sourceIPv6Address (27) when filled in, else sourceIPv4Address (8): for
 *   DS-Lite the B4 address identifies the subscriber, the inside IPv4 is shared.
 * - ingressVRFID 0 is the global table and maps to the configured default VRF, not "0".
 */

/**
 * Why a record or set was skipped (read, and not about attribution), so skips can be counted
 * per cause: `looks-like-cisco-iosxr` is a configuration mistake an operator can fix.
 */
export type IpfixSkipCode = 'reserved-set' | 'not-nat-record' | 'not-attribution-event' | 'not-cisco-nat-template' | 'looks-like-cisco-iosxr' | 'looks-like-nokia-nat';

/** Where the mapper puts what it read; the text parsers' sink contract, with a code on skips. */
export interface PacketSink {
  event(e: NatEvent, position: string): void;
  reject(position: string, reason: string): void;
  skip(position: string, reason: string, code: IpfixSkipCode): void;
}

export interface NatMapperOptions extends SourceOptions {
  /**
   * How many open Cisco adds (per exporter) are remembered to complete deletes that carry no
   * outside address. The oldest are forgotten first; a delete for a forgotten add is rejected.
   */
  openBlockLimit?: number;
  /** A port block with portRangeStepSize > 1 becomes one event per port, up to this many. */
  maxPortsPerRecord?: number;
}

/** IE ids as the decoder hands them over. Enterprise and v9 scope fields are tagged so they never match. */
export const ENTERPRISE_FLAG = 0x10000;
export const V9_SCOPE_FLAG = 0x20000;
/**
 * Nokia's aluNatSubString (enterprise 637, element 93; nfdump issue 533), kept apart from other
 * enterprise fields so that a Nokia NAT template is named when it is skipped.
 */
export const NOKIA_PEN = 637;
export const NOKIA_NAT_SUBSTRING_IE = 93;
export const NOKIA_NAT_SUBSTRING = 0x40000 | NOKIA_NAT_SUBSTRING_IE;

const IE = {
  protocol: 4,
  srcPort: 7,
  srcV4: 8,
  srcV6: 27,
  pubV4: 225,
  pubPort: 227,
  natEvent: 230,
  vrf: 234,
  vrfName: 236,
  pubV6: 281,
  timeSec: 322,
  timeMs: 323,
  timeUs: 324,
  timeNs: 325,
  rangeStart: 361,
  rangeEnd: 362,
  rangeStep: 363,
  rangeNum: 364,
  nokiaNatSub: NOKIA_NAT_SUBSTRING,
} as const;
type Role = keyof typeof IE;
const ROLES = Object.keys(IE) as Role[];

/** Field index of each IE the mapper reads (-1 when the template lacks it); built once per template. */
export type RecordPlan = Record<Role, number>;

export function planFor(ids: ArrayLike<number>): RecordPlan {
  const plan = {} as RecordPlan;
  for (const r of ROLES) plan[r] = -1;
  for (let i = 0; i < ids.length; i++) {
    for (const r of ROLES) if (IE[r] === ids[i] && plan[r] < 0) plan[r] = i;
  }
  return plan;
}

/** One data record: field i is buf[off[i], off[i] + len[i]). Arrays are reused between records. */
export interface RecordView {
  buf: Buffer;
  off: Int32Array;
  len: Int32Array;
}

export interface RecordContext {
  version: 9 | 10;
  domain: number;
  templateId: number;
  /** Packet export time (v9 unix_secs / IPFIX exportTime) in epoch ms: the fallback event time. */
  exportMs: number;
  position: string;
  /** The record's template is exactly a Cisco IOS-XR CGN one (see cisco-templates.ts). */
  ciscoTemplate: boolean;
}

type Shape = 'block' | 'port' | 'address' | 'any';
type Meaning = { event: 'alloc' | 'release'; shape: Shape; what: string } | { skip: string };

const alloc = (shape: Shape, what: string): Meaning => ({ event: 'alloc', shape, what });
const release = (shape: Shape, what: string): Meaning => ({ event: 'release', shape, what });
const skip = (what: string): Meaning => ({ skip: what });

/** IANA "NAT Event Type" registry as RFC 8158 set it (§16.2). */
const RFC8158: Meaning[] = [];
RFC8158[1] = alloc('any', 'NAT translation create');
RFC8158[2] = release('any', 'NAT translation delete');
RFC8158[3] = skip('NAT addresses exhausted');
RFC8158[4] = alloc('port', 'NAT44 session create');
RFC8158[5] = release('port', 'NAT44 session delete');
RFC8158[6] = alloc('port', 'NAT64 session create');
RFC8158[7] = release('port', 'NAT64 session delete');
RFC8158[8] = alloc('port', 'NAT44 BIB create');
RFC8158[9] = release('port', 'NAT44 BIB delete');
RFC8158[10] = alloc('port', 'NAT64 BIB create');
RFC8158[11] = release('port', 'NAT64 BIB delete');
RFC8158[12] = skip('NAT ports exhausted');
RFC8158[13] = skip('quota exceeded');
RFC8158[14] = alloc('address', 'address binding create');
RFC8158[15] = release('address', 'address binding delete');
RFC8158[16] = alloc('block', 'port block allocation');
RFC8158[17] = release('block', 'port block de-allocation');
RFC8158[18] = skip('threshold reached');

/** Juniper IPFIX: draft-ietf-behave-ipfix-nat-logging-02 numbering (§16.4). 15 is inferred there. */
const JUNIPER_IPFIX: Meaning[] = [];
JUNIPER_IPFIX[1] = RFC8158[4];
JUNIPER_IPFIX[2] = RFC8158[5];
JUNIPER_IPFIX[3] = RFC8158[3];
JUNIPER_IPFIX[4] = RFC8158[6];
JUNIPER_IPFIX[5] = RFC8158[7];
JUNIPER_IPFIX[6] = RFC8158[8];
JUNIPER_IPFIX[7] = RFC8158[9];
JUNIPER_IPFIX[8] = RFC8158[10];
JUNIPER_IPFIX[9] = RFC8158[11];
JUNIPER_IPFIX[10] = RFC8158[12];
JUNIPER_IPFIX[11] = RFC8158[13];
JUNIPER_IPFIX[12] = RFC8158[14];
JUNIPER_IPFIX[13] = RFC8158[15];
JUNIPER_IPFIX[14] = RFC8158[16];
JUNIPER_IPFIX[15] = RFC8158[17];

/** Juniper NetFlow v9: 1 create, 2 delete, 3 pool exhausted (§16.4); the fields say block or port. */
const JUNIPER_V9: Meaning[] = [];
JUNIPER_V9[1] = alloc('any', 'create');
JUNIPER_V9[2] = release('any', 'delete');
JUNIPER_V9[3] = skip('pool exhausted');

/**
 * Cisco IOS-XR CGN NetFlow v9 has no natEvent: the template id is the event (§4.2; 273/274 are
 * the DS-Lite session templates of the same Cisco code). Deletes carry no outside address.
 */
const CISCO: Record<number, { event: 'alloc' | 'release'; bulk: boolean; what: string }> = {
  256: { event: 'alloc', bulk: false, what: 'NAT44 add' },
  257: { event: 'release', bulk: false, what: 'NAT44 delete' },
  265: { event: 'alloc', bulk: true, what: 'NAT44 bulk add' },
  266: { event: 'release', bulk: true, what: 'NAT44 bulk delete' },
  267: { event: 'alloc', bulk: false, what: 'DS-Lite add' },
  268: { event: 'release', bulk: false, what: 'DS-Lite delete' },
  269: { event: 'alloc', bulk: true, what: 'DS-Lite bulk add' },
  270: { event: 'release', bulk: true, what: 'DS-Lite bulk delete' },
  271: { event: 'alloc', bulk: false, what: 'NAT44 session add' },
  272: { event: 'release', bulk: false, what: 'NAT44 session delete' },
  273: { event: 'alloc', bulk: false, what: 'DS-Lite session add' },
  274: { event: 'release', bulk: false, what: 'DS-Lite session delete' },
};

/** Reads an unsigned integer of 1-8 bytes (IPFIX allows reduced-size encoding); NaN otherwise. */
export function readUint(buf: Buffer, off: number, len: number): number {
  if (len >= 1 && len <= 6) return buf.readUIntBE(off, len);
  if (len === 7 || len === 8) return buf.readUIntBE(off, len - 4) * 0x100000000 + buf.readUInt32BE(off + len - 4);
  return NaN;
}

/** dateTimeMicroseconds/Nanoseconds are NTP timestamps: seconds since 1900 and a binary fraction (RFC 7011 §6.1.9). */
const NTP_TO_UNIX_S = 2208988800;
function ntpMs(buf: Buffer, off: number): number {
  const s = buf.readUInt32BE(off);
  if (s === 0) return 0;
  // nearest ms: the fraction of an exact ms value is rarely exact in binary
  return (s - NTP_TO_UNIX_S) * 1000 + Math.round((buf.readUInt32BE(off + 4) * 1000) / 0x100000000);
}

/** A 4- or 16-byte address in canonical form: IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes IPv4. */
function addr(buf: Buffer, off: number, len: number): string {
  if (len === 16 && buf[off + 10] === 0xff && buf[off + 11] === 0xff && isZero(buf, off, 10)) return bytesToIp(buf.subarray(off + 12, off + 16));
  return bytesToIp(buf.subarray(off, off + len));
}

function isZero(buf: Buffer, off: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (buf[off + i] !== 0) return false;
  return true;
}

interface OpenBlock {
  publicIp: string;
  portStart: number;
  portEnd: number;
  protocol: number | null;
}

type Out = { publicIp: string; portStart: number | null; portEnd: number | null } | string;

export class NatRecordMapper {
  private readonly natInstance: string;
  /** The index's VRF name for one the exporter names (null: none), through the source's `vrfMap`. */
  private readonly vrfName: (written: string | null) => string;
  private readonly numbering: 'rfc8158' | 'juniper' | 'cisco-iosxr';
  private readonly openLimit: number;
  private readonly maxPorts: number;
  /** `${domain}|${vrfId}` → name, from option records (Cisco template 262). */
  private readonly vrfNames = new Map<string, string>();
  /** Cisco adds still open, to complete deletes without an outside address. Insertion order = age. */
  private readonly open = new Map<string, OpenBlock>();

  constructor(
    options: NatMapperOptions,
    private readonly exporter: string,
  ) {
    this.natInstance = options.natInstance ?? 'default';
    this.vrfName = vrfNamer(options);
    this.numbering = options.ipfixNatEventNumbering ?? 'rfc8158';
    this.openLimit = options.openBlockLimit ?? 500_000;
    this.maxPorts = options.maxPortsPerRecord ?? 4096;
  }

  /** Option records: only the VRF id ↔ name mapping matters for attribution. */
  optionsRecord(p: RecordPlan, r: RecordView, ctx: RecordContext): void {
    if (p.vrf < 0 || p.vrfName < 0) return;
    const id = readUint(r.buf, r.off[p.vrf], r.len[p.vrf]);
    let end = r.off[p.vrfName] + r.len[p.vrfName];
    // v9 strings are fixed-width and NUL padded
    while (end > r.off[p.vrfName] && (r.buf[end - 1] === 0 || r.buf[end - 1] === 0x20)) end--;
    const name = r.buf.toString('utf8', r.off[p.vrfName], end);
    if (Number.isNaN(id) || name.length === 0 || name.length > 128) return;
    this.vrfNames.set(`${ctx.domain}|${id}`, name);
  }

  record(p: RecordPlan, r: RecordView, ctx: RecordContext, sink: PacketSink): void {
    if (this.numbering === 'cisco-iosxr') return this.cisco(p, r, ctx, sink);
    if (p.natEvent < 0) {
      if (ctx.ciscoTemplate) {
        sink.skip(
          ctx.position,
          `looks like Cisco IOS-XR CGN template ${ctx.templateId}: set ipfixNatEventNumbering: cisco-iosxr for exporter ${this.exporter} ` +
            '(in the options of a source with format: ipfix matching its address)',
          'looks-like-cisco-iosxr',
        );
        return;
      }
      if (p.nokiaNatSub >= 0) {
        // Nokia tells add from delete only by which of flowStart/flowEndMilliseconds is there, and
        // puts the inside address in a string of its own layout: read by guess, it could name the
        // wrong subscriber.
        sink.skip(
          ctx.position,
          `template ${ctx.templateId} looks like Nokia NAT IPFIX (aluNatSubString, enterprise 637): it carries no natEvent and its inside address ` +
            'only inside a string whose layout is not documented, so it is not read; log these blocks by syslog (events 2012/2013) or NAT RADIUS accounting',
          'looks-like-nokia-nat',
        );
        return;
      }
      sink.skip(ctx.position, `template ${ctx.templateId} has no natEvent (230): not a NAT event record`, 'not-nat-record');
      return;
    }
    const code = readUint(r.buf, r.off[p.natEvent], r.len[p.natEvent]);
    const table = this.numbering === 'rfc8158' ? RFC8158 : ctx.version === 9 ? JUNIPER_V9 : JUNIPER_IPFIX;
    const m = table[code];
    const numbering = this.numbering === 'rfc8158' ? 'RFC 8158' : ctx.version === 9 ? 'Juniper NetFlow v9' : 'Juniper IPFIX (draft-02)';
    if (m === undefined) {
      sink.reject(ctx.position, `natEvent ${code} is not defined in the ${numbering} numbering (check ipfixNatEventNumbering for exporter ${this.exporter})`);
      return;
    }
    if ('skip' in m) {
      sink.skip(ctx.position, `natEvent ${code} (${m.skip}) is not an attribution record`, 'not-attribution-event');
      return;
    }
    const at = this.time(p, r, ctx);
    const priv = this.privateIp(p, r);
    if (priv === null) return sink.reject(ctx.position, `natEvent ${code} (${m.what}) has no inside address (sourceIPv4Address 8 or sourceIPv6Address 27)`);
    const vrf = this.vrf(p, r, ctx);
    const proto = this.protocol(p, r);
    if (typeof proto === 'string') return sink.reject(ctx.position, proto);
    const pub = this.publicIp(p, r);
    if (pub === null) return sink.reject(ctx.position, `natEvent ${code} (${m.what}) has no outside address (postNATSourceIPv4Address 225 or postNATSourceIPv6Address 281)`);
    if (pub.startsWith('bad:')) return sink.reject(ctx.position, pub.slice(4));

    let shape = m.shape;
    if (shape === 'any') shape = p.rangeStart >= 0 ? 'block' : p.pubPort >= 0 ? 'port' : 'any';
    if (shape === 'address') {
      this.emit(m.event, at, pub, null, null, priv, vrf, proto, ctx, sink);
    } else if (shape === 'port') {
      if (p.pubPort < 0) return sink.reject(ctx.position, `natEvent ${code} (${m.what}) has no outside port (postNAPTSourceTransportPort 227)`);
      const port = readUint(r.buf, r.off[p.pubPort], r.len[p.pubPort]);
      if (!(port <= 65535)) return sink.reject(ctx.position, `outside port field has length ${r.len[p.pubPort]}`);
      this.emit(m.event, at, pub, port, port, priv, vrf, proto, ctx, sink);
    } else if (shape === 'block') {
      this.block(m.event, at, pub, priv, vrf, proto, p, r, ctx, sink, `natEvent ${code} (${m.what})`);
    } else {
      sink.reject(ctx.position, `natEvent ${code} (${m.what}) has neither a port range (361/362) nor an outside port (227)`);
    }
  }

  /** A port block; with portRangeStepSize > 1 the ports are not contiguous, so each becomes its own event. */
  private block(
    event: 'alloc' | 'release', at: number, pub: string, priv: string, vrf: string, proto: number | null,
    p: RecordPlan, r: RecordView, ctx: RecordContext, sink: PacketSink, what: string,
  ): void {
    if (p.rangeStart < 0) return sink.reject(ctx.position, `${what} has no portRangeStart (361)`);
    const u = (i: number) => (i < 0 ? -1 : readUint(r.buf, r.off[i], r.len[i]));
    const start = u(p.rangeStart);
    // 0 in step/numPorts is what exporters send when they include the field without using it
    const step = Math.max(u(p.rangeStep), 1);
    const num = Math.max(u(p.rangeNum), 0);
    // and so is portRangeEnd 0 beside a size (nfdump issue 521): the size bounds the block then
    const writtenEnd = u(p.rangeEnd);
    const end = writtenEnd === 0 && num > 0 && start > 0 ? -1 : writtenEnd;
    if (Number.isNaN(start + end + step + num)) return sink.reject(ctx.position, `${what}: a port range field has an invalid length`);
    if (step === 1) {
      const last = end >= 0 ? end : num > 0 ? start + num - 1 : -1;
      if (last < 0) return sink.reject(ctx.position, `${what} has neither portRangeEnd (362) nor portRangeNumPorts (364)`);
      if (num > 0 && last - start + 1 !== num) {
        return sink.reject(ctx.position, `${what}: portRangeStart ${start} to portRangeEnd ${last} is ${last - start + 1} ports but portRangeNumPorts is ${num}`);
      }
      if (start > 65535 || last > 65535 || last < start) return sink.reject(ctx.position, `${what}: port range ${start}-${last} is not a valid range`);
      return this.emit(event, at, pub, start, last, priv, vrf, proto, ctx, sink);
    }
    const count = num > 0 ? num : end >= start ? Math.floor((end - start) / step) + 1 : 0;
    if (count === 0) return sink.reject(ctx.position, `${what}: step ${step} needs portRangeNumPorts (364) or portRangeEnd (362)`);
    const lastPort = start + (count - 1) * step;
    if (lastPort > 65535 || (end >= 0 && lastPort > end)) {
      return sink.reject(ctx.position, `${what}: ${count} ports from ${start} in steps of ${step} end at ${lastPort}, beyond portRangeEnd ${end >= 0 ? end : 65535}`);
    }
    if (count > this.maxPorts) {
      return sink.reject(ctx.position, `${what}: non-contiguous block of ${count} ports (step ${step}) exceeds maxPortsPerRecord ${this.maxPorts}`);
    }
    for (let port = start; port <= lastPort; port += step) this.emit(event, at, pub, port, port, priv, vrf, proto, ctx, sink);
  }

  /** Cisco IOS-XR CGN: template id is the event; deletes are completed from the adds we saw. */
  private cisco(p: RecordPlan, r: RecordView, ctx: RecordContext, sink: PacketSink): void {
    const t = CISCO[ctx.templateId];
    if (t === undefined) {
      sink.skip(ctx.position, `template ${ctx.templateId} is not a Cisco IOS-XR CGN NAT template`, 'not-cisco-nat-template');
      return;
    }
    const priv = this.privateIp(p, r);
    if (priv === null) return sink.reject(ctx.position, `template ${ctx.templateId} (${t.what}) has no inside address (8 or 27)`);
    const proto = this.protocol(p, r);
    if (typeof proto === 'string') return sink.reject(ctx.position, proto);
    const vrfId = p.vrf < 0 ? 0 : readUint(r.buf, r.off[p.vrf], r.len[p.vrf]);
    const vrf = this.vrf(p, r, ctx);
    const at = this.time(p, r, ctx);
    const keyPort = t.bulk ? p.rangeStart : p.srcPort;
    const keyPortValue = keyPort < 0 ? -1 : readUint(r.buf, r.off[keyPort], r.len[keyPort]);
    const key = `${t.bulk ? 'b' : 's'}|${ctx.domain}|${vrfId}|${priv}|${keyPortValue}|${t.bulk ? '' : proto}`;

    if (t.event === 'alloc') {
      const pub = this.publicIp(p, r);
      if (pub === null) return sink.reject(ctx.position, `template ${ctx.templateId} (${t.what}) has no outside address (225)`);
      if (pub.startsWith('bad:')) return sink.reject(ctx.position, pub.slice(4));
      let out: Out;
      if (t.bulk) out = this.ciscoRange(p, r, pub);
      else if (p.pubPort < 0) out = `template ${ctx.templateId} (${t.what}) has no outside port (227)`;
      else {
        const port = readUint(r.buf, r.off[p.pubPort], r.len[p.pubPort]);
        out = port <= 65535 ? { publicIp: pub, portStart: port, portEnd: port } : `outside port field has length ${r.len[p.pubPort]}`;
      }
      if (typeof out === 'string') return sink.reject(ctx.position, out);
      if (keyPortValue >= 0) this.remember(key, { publicIp: out.publicIp, portStart: out.portStart!, portEnd: out.portEnd!, protocol: proto });
      return this.emit('alloc', at, out.publicIp, out.portStart, out.portEnd, priv, vrf, proto, ctx, sink);
    }

    const known = this.open.get(key);
    if (known !== undefined) {
      this.open.delete(key);
      return this.emit('release', at, known.publicIp, known.portStart, known.portEnd, priv, vrf, known.protocol ?? proto, ctx, sink);
    }
    const pub = this.publicIp(p, r);
    if (pub !== null && !pub.startsWith('bad:')) {
      // some releases do carry the outside side; use it rather than reject
      const out = t.bulk ? this.ciscoRange(p, r, pub) : p.pubPort >= 0 ? this.onePort(p, r, pub) : null;
      if (out !== null && typeof out !== 'string') return this.emit('release', at, out.publicIp, out.portStart, out.portEnd, priv, vrf, proto, ctx, sink);
    }
    const port = keyPortValue < 0 ? 'unknown' : keyPortValue;
    sink.reject(
      ctx.position,
      `template ${ctx.templateId} (${t.what}) carries no outside address, and no earlier add from exporter ${this.exporter} ` +
        `source id ${ctx.domain} matches inside VRF ${vrfId}, inside IP ${priv}, ${t.bulk ? 'start port' : 'inside port'} ${port}` +
        `${t.bulk ? '' : `, protocol ${proto ?? 'any'}`} (the add was missed or forgotten)`,
    );
  }

  private onePort(p: RecordPlan, r: RecordView, pub: string): Out {
    const port = readUint(r.buf, r.off[p.pubPort], r.len[p.pubPort]);
    return port <= 65535 ? { publicIp: pub, portStart: port, portEnd: port } : `outside port field has length ${r.len[p.pubPort]}`;
  }

  private ciscoRange(p: RecordPlan, r: RecordView, pub: string): Out {
    if (p.rangeStart < 0 || p.rangeEnd < 0) return 'bulk record lacks port start (361) or port end (362)';
    const start = readUint(r.buf, r.off[p.rangeStart], r.len[p.rangeStart]);
    const end = readUint(r.buf, r.off[p.rangeEnd], r.len[p.rangeEnd]);
    if (!(start <= end && end <= 65535)) return `port range ${start}-${end} is not a valid range`;
    return { publicIp: pub, portStart: start, portEnd: end };
  }

  private remember(key: string, b: OpenBlock): void {
    this.open.delete(key);
    this.open.set(key, b);
    if (this.open.size > this.openLimit) this.open.delete(this.open.keys().next().value!);
  }

  /** Number of Cisco adds currently remembered (for tests and metrics). */
  get openBlocks(): number {
    return this.open.size;
  }

  private emit(
    event: 'alloc' | 'release', at: number, publicIp: string, portStart: number | null, portEnd: number | null,
    privateIp: string, privateVrf: string, protocol: number | null, ctx: RecordContext, sink: PacketSink,
  ): void {
    const e: NatEvent = {
      kind: 'nat', event, at, natInstance: this.natInstance, publicIp, portStart, portEnd, privateIp, privateVrf,
      protocol, allocatedAt: null, source: ctx.version === 9 ? 'netflow-v9' : 'ipfix',
    };
    const problem = natProblem(e);
    if (problem) sink.reject(ctx.position, problem);
    else sink.event(e, ctx.position);
  }

  /** The record's own time if it has one (IE 323, 325, 324, 322), else the packet export time. */
  private time(p: RecordPlan, r: RecordView, ctx: RecordContext): number {
    let t = 0;
    if (p.timeMs >= 0) t = readUint(r.buf, r.off[p.timeMs], r.len[p.timeMs]);
    if (!(t > 0) && p.timeNs >= 0 && r.len[p.timeNs] === 8) t = ntpMs(r.buf, r.off[p.timeNs]);
    if (!(t > 0) && p.timeUs >= 0 && r.len[p.timeUs] === 8) t = ntpMs(r.buf, r.off[p.timeUs]);
    if (!(t > 0) && p.timeSec >= 0) t = readUint(r.buf, r.off[p.timeSec], r.len[p.timeSec]) * 1000;
    return t > 0 ? t : ctx.exportMs;
  }

  /** IPv6 first: for DS-Lite the B4 address (27) names the subscriber, the inside IPv4 is shared. */
  private privateIp(p: RecordPlan, r: RecordView): string | null {
    if (p.srcV6 >= 0 && r.len[p.srcV6] === 16 && !isZero(r.buf, r.off[p.srcV6], 16)) {
      return addr(r.buf, r.off[p.srcV6], 16);
    }
    if (p.srcV4 >= 0 && r.len[p.srcV4] === 4) return addr(r.buf, r.off[p.srcV4], 4);
    return null;
  }

  /** Outside address, null when absent, or "bad:<reason>" when present but unusable. */
  private publicIp(p: RecordPlan, r: RecordView): string | null {
    const i = p.pubV4 >= 0 ? p.pubV4 : p.pubV6;
    if (i < 0) return null;
    const want = i === p.pubV4 ? 4 : 16;
    if (r.len[i] !== want) return `bad:outside address field has length ${r.len[i]}, expected ${want}`;
    if (isZero(r.buf, r.off[i], want)) {
      // a template can carry both families; only the one in use is filled in
      if (i === p.pubV4 && p.pubV6 >= 0 && r.len[p.pubV6] === 16 && !isZero(r.buf, r.off[p.pubV6], 16)) {
        return addr(r.buf, r.off[p.pubV6], 16);
      }
      return 'bad:outside address is unspecified (all zero)';
    }
    return addr(r.buf, r.off[i], want);
  }

  /** 0 (or no field) means the record covers every protocol. */
  private protocol(p: RecordPlan, r: RecordView): number | null | string {
    if (p.protocol < 0) return null;
    const v = readUint(r.buf, r.off[p.protocol], r.len[p.protocol]);
    if (v === 0) return null;
    if (v === 1 || v === 6 || v === 17 || v === 58) return v;
    return `protocol ${v} cannot be represented (only 1, 6, 17, 58 or all)`;
  }

  /** VRF id 0 is the global table on Cisco and Juniper: the configured default VRF, not "0". */
  private vrf(p: RecordPlan, r: RecordView, ctx: RecordContext): string {
    if (p.vrf < 0) return this.vrfName(null);
    const id = readUint(r.buf, r.off[p.vrf], r.len[p.vrf]);
    const name = this.vrfNames.get(`${ctx.domain}|${id}`);
    if (name !== undefined) return this.vrfName(name);
    return this.vrfName(id === 0 || Number.isNaN(id) ? null : String(id));
  }
}
