import { canonicalIp, ipv6Prefix } from '../../core/ip.js';
import type { SourceOptions } from '../../schemas/source-config.js';
import { vrfNamer } from '../vrf.js';
import type { LineParser, ParseSink, TextFormat } from '../format.js';
import {
  DHCP4_DEFAULT_KEYS,
  bytesToHex, emitLease, iscStringBytes, normHex, pickSubscriber, setId,
  type Identifiers, type LeaseFields, type SubscriberKey,
} from './lease-identifiers.js';

/**
 * ISC dhcpd `dhcpd.leases` / `dhcpd6.leases` (reference/lease-formats.md §1, §6).
 *
 * The file is log-structured: every ACK, release or state change appends a block, so one
 * address has many blocks. Each binding block yields its own events and the time index merges
 * them (same starts replaces the end, later starts inside the interval is a renewal); the
 * parser never drops a block for being superseded, because after a rewrite earlier blocks
 * are the only evidence left.
 *
 * Block → events:
 *   active            start at starts, expiresAt = ends (null for `ends never`)
 *   released          start at starts (expiresAt = ends), end at ends (release_lease sets ends)
 *   expired           start at starts, expire at ends
 *   free              the last binding left behind: start at starts, expire at ends. The file
 *                     does not say whether it expired or was released; both happened at ends.
 *   abandoned/backup/reset, starts > ends, or no hardware/uid: no holding (skipped).
 * v6: start at the IA's cltt, end per the iaaddr/iaprefix's own `ends` (never recomputed from
 * max-life).
 */

type Time = number | 'never';

interface LeaseFrame {
  kind: 'lease';
  line: number;
  address: string;
  starts?: Time;
  ends?: Time;
  state?: string;
  abandoned: boolean;
  deleted: boolean;
  ids: Identifiers;
  error?: string;
}

interface AddrRecord {
  line: number;
  text: string;
  prefix: boolean;
  state?: string;
  ends?: Time;
  error?: string;
}

interface IaFrame {
  kind: 'ia';
  line: number;
  type: string;
  idBytes: number[] | null;
  cltt?: Time;
  addrs: AddrRecord[];
  error?: string;
}

interface AddrFrame extends AddrRecord {
  kind: 'addr';
}

interface SkipFrame {
  kind: 'skip';
  line: number;
}

type Frame = LeaseFrame | IaFrame | AddrFrame | SkipFrame;

const DATE = /^[0-6]\s+(\d{4})\/(\d{1,2})\/(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})$/;

/** An ISC date: `W YYYY/MM/DD HH:MM:SS` (UTC), `epoch N` (the `#` comment is gone already), `never`. */
function iscTime(text: string): Time | null {
  if (text === 'never') return 'never';
  if (text.startsWith('epoch ')) {
    const n = text.slice(6).trim();
    return /^\d{1,12}$/.test(n) ? Number(n) * 1000 : null;
  }
  const m = DATE.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m;
  const ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== +y || back.getUTCMonth() !== +mo - 1 || back.getUTCDate() !== +d || +h > 23 || +mi > 59 || +s > 59) return null;
  return ms;
}

/** A quoted string's bytes or ISC colon hex as normalised hex (uid, option-82, IA ids). */
function binaryValue(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) return bytesToHex(iscStringBytes(value.slice(1, -1)));
  return normHex(value);
}

function textValue(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) return Buffer.from(iscStringBytes(value.slice(1, -1))).toString('utf8');
  return value;
}

function idBytes(value: string): number[] | null {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) return iscStringBytes(value.slice(1, -1));
  if (!/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2})*$/.test(value)) return null;
  return value.split(':').map((p) => parseInt(p, 16));
}

interface Piece {
  text: string;
  end: ';' | '{' | '}' | '';
}

/** Splits a line into statements at `;`, `{` and `}` outside quotes; `#` starts a comment. */
function pieces(line: string): Piece[] {
  const out: Piece[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === '#') {
      const rest = line.slice(start, i).trim();
      if (rest) out.push({ text: rest, end: '' });
      return out;
    } else if (c === ';' || c === '{' || c === '}') {
      out.push({ text: line.slice(start, i).trim(), end: c });
      start = i + 1;
    }
  }
  const rest = line.slice(start).trim();
  if (rest) out.push({ text: rest, end: '' });
  return out;
}

const BINDING_STATES = new Set(['free', 'active', 'expired', 'released', 'abandoned', 'reset', 'backup']);
const NOT_BINDING = new Set(['abandoned', 'reset', 'backup']);

class IscParser implements LineParser {
  private stack: Frame[] = [];
  private byteOrder: 'little-endian' | 'big-endian' | null = null;
  private readonly vrf: string;

  constructor(private readonly options: SourceOptions) {
    this.vrf = vrfNamer(options)(null);
  }

  line(text: string, lineNo: number, sink: ParseSink): void {
    for (const p of pieces(text)) {
      if (p.end === '{') this.open(p.text, lineNo, sink);
      else if (p.end === '}') {
        if (p.text) this.statement(p.text, lineNo, sink);
        this.close(lineNo, sink);
      } else if (p.end === ';') {
        if (p.text) this.statement(p.text, lineNo, sink);
      } else {
        this.unterminated(p.text, lineNo, sink);
      }
    }
  }

  end(sink: ParseSink): void {
    if (this.stack.length > 0) {
      const outer = this.stack[0];
      sink.reject(outer.line, 'block not closed at the end of the input (file truncated or rewritten while read?)');
      this.stack = [];
    }
  }

  private top(): Frame | undefined {
    return this.stack[this.stack.length - 1];
  }

  private unterminated(text: string, lineNo: number, sink: ParseSink): void {
    const f = this.top();
    const reason = `statement ${JSON.stringify(text.slice(0, 60))} is not ended by ";"`;
    if (!f) sink.reject(lineNo, reason);
    else if (f.kind !== 'skip') f.error ??= `line ${lineNo}: ${reason}`;
  }

  private open(head: string, lineNo: number, sink: ParseSink): void {
    const f = this.top();
    if (!f) {
      let m: RegExpExecArray | null;
      if ((m = /^lease\s+(\S+)$/.exec(head))) {
        this.stack.push({ kind: 'lease', line: lineNo, address: m[1], abandoned: false, deleted: false, ids: {} });
      } else if ((m = /^(ia[-_](?:na|ta|pd))\s+(.+)$/.exec(head))) {
        this.stack.push({ kind: 'ia', line: lineNo, type: m[1].replace('_', '-'), idBytes: idBytes(m[2].trim()), addrs: [] });
      } else {
        this.stack.push({ kind: 'skip', line: lineNo });
        const what = head.startsWith('failover peer') ? 'failover peer state block' : `"${head.split(/\s+/)[0] || '{'}" block`;
        sink.skip(lineNo, `${what} is not a lease`);
      }
      return;
    }
    if (f.kind === 'ia') {
      const m = /^(iaaddr|iaprefix)\s+(\S+)$/.exec(head);
      if (m) {
        this.stack.push({ kind: 'addr', line: lineNo, text: m[2], prefix: m[1] === 'iaprefix' });
        return;
      }
    }
    // Nested blocks inside a lease (`on expiry { … }`) carry no binding data.
    this.stack.push({ kind: 'skip', line: lineNo });
  }

  private close(lineNo: number, sink: ParseSink): void {
    const f = this.stack.pop();
    if (!f) {
      sink.reject(lineNo, '"}" without an open block');
      return;
    }
    if (f.kind === 'lease') this.finishLease(f, sink);
    else if (f.kind === 'ia') this.finishIa(f, sink);
    else if (f.kind === 'addr') {
      const parent = this.top();
      if (parent && parent.kind === 'ia') parent.addrs.push(f);
    }
  }

  private statement(text: string, lineNo: number, sink: ParseSink): void {
    const f = this.top();
    if (!f) {
      const m = /^authoring-byte-order\s+(little-endian|big-endian)$/.exec(text);
      if (m) this.byteOrder = m[1] as 'little-endian' | 'big-endian';
      sink.skip(lineNo, `${JSON.stringify(text.split(/\s+/)[0])} statement is not a lease`);
      return;
    }
    if (f.kind === 'skip') return;
    if (f.kind === 'lease') this.leaseStatement(f, text, lineNo);
    else if (f.kind === 'ia') {
      if (text.startsWith('cltt ')) f.cltt = this.time(f, text.slice(5).trim(), 'cltt', lineNo);
    } else {
      if (text.startsWith('ends ')) f.ends = this.time(f, text.slice(5).trim(), 'ends', lineNo);
      else if (text.startsWith('binding state ')) f.state = text.slice(14).trim();
    }
  }

  private time(f: LeaseFrame | IaFrame | AddrFrame, text: string, field: string, lineNo: number): Time | undefined {
    const t = iscTime(text);
    if (t === null) {
      f.error ??= `line ${lineNo}: ${field} ${JSON.stringify(text)} is not a dhcpd date ("W YYYY/MM/DD HH:MM:SS", "epoch N" or "never")`;
      return undefined;
    }
    return t;
  }

  private leaseStatement(f: LeaseFrame, text: string, lineNo: number): void {
    const sp = text.indexOf(' ');
    const word = sp < 0 ? text : text.slice(0, sp);
    const rest = sp < 0 ? '' : text.slice(sp + 1).trim();
    switch (word) {
      case 'starts':
        f.starts = this.time(f, rest, 'starts', lineNo);
        return;
      case 'ends':
        f.ends = this.time(f, rest, 'ends', lineNo);
        return;
      case 'binding':
        if (rest.startsWith('state ')) f.state = rest.slice(6).trim();
        return;
      case 'hardware': {
        const m = /^(\S+)\s+(\S+)$/.exec(rest);
        if (m) {
          setId(f.ids, 'mac', normHex(m[2]));
          if (m[1] !== 'ethernet') setId(f.ids, 'hardwareType', m[1]);
        }
        return;
      }
      case 'uid':
        setId(f.ids, 'clientId', binaryValue(rest));
        return;
      case 'client-hostname':
        setId(f.ids, 'hostname', textValue(rest));
        return;
      case 'option': {
        const m = /^agent\.(circuit-id|remote-id|subscriber-id)\s+(.+)$/.exec(rest);
        if (m) setId(f.ids, m[1] === 'circuit-id' ? 'circuitId' : m[1] === 'remote-id' ? 'remoteId' : 'relaySubscriberId', binaryValue(m[2]));
        return;
      }
      case 'set': {
        const m = /^vendor-class-identifier\s*=\s*(.+)$/.exec(rest);
        if (m) setId(f.ids, 'vendorClass', textValue(m[1]));
        return;
      }
      case 'abandoned':
        f.abandoned = true;
        return;
      case 'deleted':
        f.deleted = true;
        return;
      default:
        return;
    }
  }

  private finishLease(f: LeaseFrame, sink: ParseSink): void {
    if (f.deleted) return sink.skip(f.line, 'deleted lease (rubout)');
    if (f.error) return sink.reject(f.line, f.error);
    const ip = canonicalIp(f.address);
    if (!ip || ip.includes(':')) return sink.reject(f.line, `lease address ${JSON.stringify(f.address)} is not an IPv4 address`);
    // dhcpd 2.x wrote no binding state; it reads such blocks as active, and so do we.
    const state = f.abandoned ? 'abandoned' : f.state ?? 'active';
    if (!BINDING_STATES.has(state)) return sink.reject(f.line, `unknown binding state ${JSON.stringify(state)}`);
    if (NOT_BINDING.has(state)) return sink.skip(f.line, `binding state ${state} is not a client binding`);
    if (!f.ids.mac && !f.ids.clientId) return sink.skip(f.line, `binding state ${state} without hardware address or uid: no client`);
    this.holding(f.line, ip, state, f.starts, f.ends, f.ids, 'mac', sink);
  }

  private finishIa(f: IaFrame, sink: ParseSink): void {
    if (f.error) return sink.reject(f.line, f.error);
    if (!f.idBytes || f.idBytes.length < 5) return sink.reject(f.line, `${f.type} id is not IAID (4 bytes) followed by a DUID`);
    const base: Identifiers = {};
    const iaid = f.idBytes.slice(0, 4);
    setId(base, 'duid', bytesToHex(f.idBytes.slice(4)));
    // The IAID is in the writing server's byte order; it is only decoded when the file says which.
    setId(base, 'iaidRaw', bytesToHex(iaid));
    if (this.byteOrder) {
      const b = Buffer.from(iaid);
      setId(base, 'iaid', String(this.byteOrder === 'little-endian' ? b.readUInt32LE(0) : b.readUInt32BE(0)));
    }
    if (f.addrs.length === 0) return sink.skip(f.line, `${f.type} without iaaddr/iaprefix`);
    for (const a of f.addrs) {
      if (a.error) {
        sink.reject(f.line, a.error);
        continue;
      }
      const ids: Identifiers = { ...base };
      let ip: string;
      if (a.prefix) {
        const p = ipv6Prefix(a.text);
        if (typeof p === 'string') {
          sink.reject(f.line, `iaprefix ${p}`);
          continue;
        }
        ip = p.ip;
        ids.prefix = p.prefix;
      } else {
        const c = canonicalIp(a.text);
        if (!c || !c.includes(':')) {
          sink.reject(f.line, `iaaddr ${JSON.stringify(a.text)} is not an IPv6 address`);
          continue;
        }
        ip = c;
      }
      const state = a.state ?? 'active';
      if (!BINDING_STATES.has(state)) {
        sink.reject(f.line, `unknown binding state ${JSON.stringify(state)}`);
        continue;
      }
      if (NOT_BINDING.has(state)) {
        sink.skip(f.line, `${a.prefix ? 'iaprefix' : 'iaaddr'} ${a.text}: binding state ${state} is not a client binding`);
        continue;
      }
      this.holding(f.line, ip, state, f.cltt, a.ends, ids, 'duid', sink);
    }
  }

  /** The events of one binding whose state is active, released, expired or free. */
  private holding(line: number, ip: string, state: string, starts: Time | undefined, ends: Time | undefined, ids: Identifiers, key: SubscriberKey, sink: ParseSink): void {
    const startName = key === 'duid' ? 'cltt' : 'starts';
    if (starts === undefined) return sink.reject(line, `binding has no ${startName}`);
    if (starts === 'never') return sink.reject(line, `${startName} is "never"`);
    if (ends === undefined) return sink.reject(line, 'binding has no ends');
    if (ends !== 'never' && starts > ends) {
      return sink.skip(line, `${startName} is after ends: a state-transition record (binding state ${state}), not a binding`);
    }
    if (ends === 'never' && state !== 'active') return sink.reject(line, `binding state ${state} with "ends never"`);
    const who = pickSubscriber(ids, this.options, key === 'mac' ? DHCP4_DEFAULT_KEYS : key);
    if ('reason' in who) return sink.reject(line, who.reason);
    const base = { ip, subscriberId: who.id, identifiers: ids };
    const start: LeaseFields = { ...base, event: 'start', at: starts, expiresAt: ends === 'never' ? null : ends };
    emitLease(sink, line, start, this.vrf, 'isc-dhcpd');
    if (state === 'active' || ends === 'never') return;
    const close: LeaseFields = { ...base, event: state === 'released' ? 'end' : 'expire', at: ends, expiresAt: null };
    emitLease(sink, line, close, this.vrf, 'isc-dhcpd');
  }
}

export const iscDhcpd: TextFormat = {
  name: 'isc-dhcpd',
  kind: 'lease',
  summary: 'ISC dhcpd.leases / dhcpd6.leases (lease, ia-na, ia-ta, ia-pd blocks; UTC or epoch dates)',
  create(options: SourceOptions): LineParser {
    return new IscParser(options);
  },
  sniff(line: string): boolean {
    return /^\s*(?:lease \S+ \{|ia[-_](?:na|ta|pd) \S.*\{|server-duid |authoring-byte-order |failover peer \S+ state \{|# The format of this file is documented in the dhcpd\.leases)/.test(line);
  },
};
