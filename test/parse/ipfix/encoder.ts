import { ipToBytes } from '../../../core/ip.js';
import type { NatEvent } from '../../../events/schema.js';
import type { IpfixSkipCode, PacketSink } from '../../../parse/ipfix/decoder.js';

/** A tiny NetFlow v9 / IPFIX encoder for building test packets byte by byte. */

/** [IE id, length, enterprise number] — the enterprise number makes it an IPFIX enterprise field. */
export type Field = [number, number, number?];
export interface TemplateDef {
  id: number;
  fields: Field[];
}

export const u8 = (n: number) => Buffer.from([n]);
export const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
export const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
export const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};
export const ip = (text: string) => ipToBytes(text);
/** NTP timestamp (dateTimeMicroseconds/Nanoseconds encoding) of an epoch-ms instant. */
export const ntp = (ms: number) => {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(Math.floor(ms / 1000) + 2208988800, 0);
  b.writeUInt32BE(Math.round(((ms % 1000) / 1000) * 0x100000000), 4);
  return b;
};
/** IPFIX variable-length encoding: one length byte, or 255 and two bytes. */
export const varlen = (v: Buffer | string) => {
  const b = typeof v === 'string' ? Buffer.from(v) : v;
  return Buffer.concat([b.length < 255 ? u8(b.length) : Buffer.concat([u8(255), u16(b.length)]), b]);
};
export const rec = (...parts: Buffer[]) => Buffer.concat(parts);

function set(id: number, body: Buffer, pad = 0): Buffer {
  return Buffer.concat([u16(id), u16(4 + body.length + pad), body, Buffer.alloc(pad)]);
}

function fields(fs: Field[], ipfix: boolean): Buffer {
  return Buffer.concat(
    fs.map(([ie, len, pen]) => (pen !== undefined && ipfix ? Buffer.concat([u16(ie | 0x8000), u16(len), u32(pen)]) : Buffer.concat([u16(ie), u16(len)]))),
  );
}

export function templateSet(version: 9 | 10, templates: TemplateDef[], pad = 0): Buffer {
  const body = Buffer.concat(templates.map((t) => Buffer.concat([u16(t.id), u16(t.fields.length), fields(t.fields, version === 10)])));
  return set(version === 9 ? 0 : 2, body, pad);
}

/** IPFIX template withdrawal (set 2, or 3 for options templates): the record with no fields. */
export function withdrawalSet(templateIds: number[], options = false): Buffer {
  return set(options ? 3 : 2, Buffer.concat(templateIds.map((id) => Buffer.concat([u16(id), u16(0)]))));
}

export function ipfixOptionsTemplateSet(id: number, scope: Field[], opts: Field[]): Buffer {
  const all = [...scope, ...opts];
  return set(3, Buffer.concat([u16(id), u16(all.length), u16(scope.length), fields(all, true)]));
}

export function v9OptionsTemplateSet(id: number, scope: Field[], opts: Field[], pad = 2): Buffer {
  return set(1, Buffer.concat([u16(id), u16(scope.length * 4), u16(opts.length * 4), fields(scope, false), fields(opts, false)]), pad);
}

export function dataSet(templateId: number, records: Buffer[], pad = 0): Buffer {
  return set(templateId, Buffer.concat(records), pad);
}

export function ipfixMessage(h: { exportTime: number; domain?: number; seq?: number }, sets: Buffer[]): Buffer {
  const body = Buffer.concat(sets);
  return Buffer.concat([u16(10), u16(16 + body.length), u32(h.exportTime), u32(h.seq ?? 0), u32(h.domain ?? 0), body]);
}

export function v9Packet(h: { unixSecs: number; sourceId?: number; uptimeMs?: number; seq?: number }, sets: Buffer[]): Buffer {
  return Buffer.concat([u16(9), u16(sets.length), u32(h.uptimeMs ?? 1000), u32(h.unixSecs), u32(h.seq ?? 0), u32(h.sourceId ?? 0), ...sets]);
}

/** A sink that keeps everything, for assertions. */
export function collect() {
  const events: { e: NatEvent; position: string }[] = [];
  const rejects: { position: string; reason: string }[] = [];
  const skips: { position: string; reason: string; code: IpfixSkipCode }[] = [];
  const sink: PacketSink = {
    event: (e, position) => events.push({ e, position }),
    reject: (position, reason) => rejects.push({ position, reason }),
    skip: (position, reason, code) => skips.push({ position, reason, code }),
  };
  return { sink, events, rejects, skips, list: () => events.map((x) => x.e) };
}

/** RFC 8158 port-block template (natEvent 16/17) as Juniper/A10-style exporters send it. */
export const PBA_TEMPLATE: TemplateDef = {
  id: 300,
  fields: [[323, 8], [230, 1], [234, 4], [8, 4], [225, 4], [361, 2], [362, 2], [363, 2], [364, 2]],
};

export function pbaRecord(v: { ms: number; ev: number; vrf?: number; inside: string; outside: string; start: number; end: number; step?: number; num?: number }): Buffer {
  return rec(u64(v.ms), u8(v.ev), u32(v.vrf ?? 0), ip(v.inside), ip(v.outside), u16(v.start), u16(v.end), u16(v.step ?? 1), u16(v.num ?? v.end - v.start + 1));
}

/** RFC 8158 NAT44 session template (natEvent 4/5). */
export const SESSION_TEMPLATE: TemplateDef = {
  id: 301,
  fields: [[323, 8], [230, 1], [234, 4], [8, 4], [225, 4], [4, 1], [7, 2], [227, 2], [12, 4], [11, 2]],
};

export function sessionRecord(v: { ms: number; ev: number; inside: string; outside: string; proto: number; port: number; outPort: number; vrf?: number }): Buffer {
  return rec(u64(v.ms), u8(v.ev), u32(v.vrf ?? 0), ip(v.inside), ip(v.outside), u8(v.proto), u16(v.port), u16(v.outPort), ip('203.0.113.9'), u16(443));
}

/** Cisco IOS-XR CGN NetFlow v9 bulk add (265) and delete (266), fields as in §4.2. */
export const CISCO_265: TemplateDef = { id: 265, fields: [[234, 4], [235, 4], [8, 4], [225, 4], [361, 2], [362, 2]] };
export const CISCO_266: TemplateDef = { id: 266, fields: [[234, 4], [8, 4], [361, 2]] };
export const CISCO_256: TemplateDef = { id: 256, fields: [[234, 4], [235, 4], [8, 4], [225, 4], [7, 2], [227, 2], [4, 1]] };
export const CISCO_257: TemplateDef = { id: 257, fields: [[234, 4], [8, 4], [7, 2], [4, 1]] };
