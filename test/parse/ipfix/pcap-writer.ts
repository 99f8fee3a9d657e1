import { ip } from './encoder.js';

/** Builds classic pcap captures of UDP datagrams for the reader tests. */

export interface Datagram {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

export function udp(d: Datagram): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(d.srcPort, 0);
  h.writeUInt16BE(d.dstPort, 2);
  h.writeUInt16BE(8 + d.payload.length, 4);
  return Buffer.concat([h, d.payload]);
}

export function ipv4(src: string, dst: string, proto: number, body: Buffer, flagsFrag = 0): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + body.length, 2);
  h.writeUInt16BE(flagsFrag, 6);
  h[8] = 64;
  h[9] = proto;
  ip(src).copy(h, 12);
  ip(dst).copy(h, 16);
  return Buffer.concat([h, body]);
}

export function ipv6(src: string, dst: string, next: number, body: Buffer): Buffer {
  const h = Buffer.alloc(40);
  h[0] = 0x60;
  h.writeUInt16BE(body.length, 4);
  h[6] = next;
  h[7] = 64;
  ip(src).copy(h, 8);
  ip(dst).copy(h, 24);
  return Buffer.concat([h, body]);
}

export const udp4 = (d: Datagram) => ipv4(d.src, d.dst, 17, udp(d));

export function ethernet(l3: Buffer, etherType = 0x0800, vlans: number[] = []): Buffer {
  const macs = Buffer.alloc(12, 0x02);
  const tags = vlans.map((v) => Buffer.from([0x81, 0x00, v >> 8, v & 255]));
  return Buffer.concat([macs, ...tags, Buffer.from([etherType >> 8, etherType & 255]), l3]);
}

export function sll(l3: Buffer, proto = 0x0800): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(0, 0);
  h.writeUInt16BE(1, 2);
  h.writeUInt16BE(6, 4);
  h.writeUInt16BE(proto, 14);
  return Buffer.concat([h, l3]);
}

export function pcapFile(frames: { at: number; data: Buffer; snap?: number }[], o: { linkType: number; little?: boolean; nano?: boolean }): Buffer {
  const w32 = (b: Buffer, v: number, at: number) => (o.little ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at));
  const w16 = (b: Buffer, v: number, at: number) => (o.little ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at));
  const g = Buffer.alloc(24);
  w32(g, o.nano ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  w16(g, 2, 4);
  w16(g, 4, 6);
  w32(g, 262144, 16);
  w32(g, o.linkType, 20);
  const parts: Buffer[] = [g];
  for (const f of frames) {
    const data = f.snap !== undefined ? f.data.subarray(0, f.snap) : f.data;
    const h = Buffer.alloc(16);
    w32(h, Math.floor(f.at / 1000), 0);
    w32(h, o.nano ? (f.at % 1000) * 1e6 : (f.at % 1000) * 1e3, 4);
    w32(h, data.length, 8);
    w32(h, f.data.length, 12);
    parts.push(h, data);
  }
  return Buffer.concat(parts);
}

/** An interface of a pcapng section: its link type, snap length and if_tsresol byte (default µs). */
export interface NgInterface {
  linkType: number;
  snapLen?: number;
  tsresol?: number;
}

/** A packet (enhanced, or simple with `simple`), or any other block by type and body. */
export type NgItem = { iface?: number; at: number; data: Buffer; snap?: number; simple?: boolean } | { block: number; body: Buffer };

/** Builds a pcapng capture: one section with the given interfaces, then the items in order. */
export function pcapngFile(o: { interfaces: NgInterface[]; items: NgItem[]; little?: boolean }): Buffer {
  const w32 = (v: number) => {
    const b = Buffer.alloc(4);
    if (o.little) b.writeUInt32LE(v);
    else b.writeUInt32BE(v);
    return b;
  };
  const w16 = (v: number) => {
    const b = Buffer.alloc(2);
    if (o.little) b.writeUInt16LE(v);
    else b.writeUInt16BE(v);
    return b;
  };
  const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  const block = (type: number, body: Buffer) => {
    const padded = pad(body);
    return Buffer.concat([w32(type), w32(12 + padded.length), padded, w32(12 + padded.length)]);
  };
  const shb = block(0x0a0d0d0a, Buffer.concat([w32(0x1a2b3c4d), w16(1), w16(0), Buffer.alloc(8, 0xff)]));
  const idbs = o.interfaces.map((i) => {
    const opts = i.tsresol === undefined ? Buffer.alloc(0) : Buffer.concat([w16(9), w16(1), pad(Buffer.from([i.tsresol]))]);
    return block(1, Buffer.concat([w16(i.linkType), w16(0), w32(i.snapLen ?? 262144), opts, w16(0), w16(0)]));
  });
  const units = (iface: number, at: number) => {
    const r = o.interfaces[iface]?.tsresol ?? 6;
    return (BigInt(at) * 10n ** BigInt(r & 0x7f)) / 1000n;
  };
  const items = o.items.map((it) => {
    if ('block' in it) return block(it.block, it.body);
    const data = it.snap !== undefined ? it.data.subarray(0, it.snap) : it.data;
    if (it.simple) return block(3, Buffer.concat([w32(it.data.length), data]));
    const ts = units(it.iface ?? 0, it.at);
    return block(6, Buffer.concat([w32(it.iface ?? 0), w32(Number(ts >> 32n)), w32(Number(ts & 0xffffffffn)), w32(data.length), w32(it.data.length), data]));
  });
  return Buffer.concat([shb, ...idbs, ...items]);
}
