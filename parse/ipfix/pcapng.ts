import { open } from 'node:fs/promises';
import { PcapFormatError } from './capture-error.js';
import { FileWindow } from './file-window.js';
import { frameToUdp, isSupportedLinkType, SUPPORTED_LINK_TYPES_TEXT, type PcapItem } from './frames.js';
import type { PcapReadOptions } from './pcap.js';

/**
 * pcapng reader (what Wireshark and recent tcpdump write by default) that yields the UDP
 * datagrams of a capture, like the classic reader: Section Header, Interface Description,
 * Enhanced and Simple Packet blocks; both byte orders, several sections and interfaces, each
 * interface with its own link type and timestamp resolution. Other blocks (name resolution,
 * statistics, custom) carry no packets and are passed over.
 */

const SHB = 0x0a0d0d0a;
const IDB = 1;
const SPB = 3;
const EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const OPT_END = 0;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;

interface Interface {
  linkType: number;
  snapLen: number;
  /** Timestamp units per second as 10^exp (decimal) or 2^exp. */
  decimal: boolean;
  exp: bigint;
  /** if_tsoffset: seconds added to every timestamp. */
  offsetMs: bigint;
}

/** The state a pcapng file is read with: the current section's byte order and interfaces. */
class Section {
  little = false;
  interfaces: Interface[] = [];
  frame = 0;

  u16(b: Buffer, at: number): number {
    return this.little ? b.readUInt16LE(at) : b.readUInt16BE(at);
  }

  u32(b: Buffer, at: number): number {
    return this.little ? b.readUInt32LE(at) : b.readUInt32BE(at);
  }

  /** A new section: its byte order comes from the byte-order magic, and interfaces start over. */
  begin(head: Buffer, offset: number): void {
    const magic = head.readUInt32BE(8);
    if (magic === BYTE_ORDER_MAGIC) this.little = false;
    else if (magic === 0x4d3c2b1a) this.little = true;
    else {
      throw new PcapFormatError(
        `pcapng section header at offset ${offset} has byte-order magic 0x${magic.toString(16).padStart(8, '0')}, not 1a2b3c4d: the file is damaged (repair it with pcapfix, or capture again)`,
        'capture-bad-block',
        offset,
      );
    }
    this.interfaces = [];
  }

  /** One complete block at file offset `offset`: a datagram, a frame problem, or nothing. */
  block(b: Buffer, offset: number, ports: ReadonlySet<number> | null): PcapItem | null {
    const type = this.u32(b, 0);
    const len = b.length;
    if (type === SHB) {
      const major = this.u16(b, 12);
      if (major !== 1) {
        throw new PcapFormatError(`pcapng section at offset ${offset} is version ${major}.${this.u16(b, 14)}; only 1.x is read (convert with editcap -F pcapng)`, 'capture-bad-block', offset);
      }
      return null;
    }
    if (type === IDB) {
      this.describe(b, offset);
      return null;
    }
    if (type !== EPB && type !== SPB) return null;
    this.frame++;
    const frame = this.frame;
    const id = type === EPB ? this.u32(b, 8) : 0;
    const iface = this.interfaces[id];
    if (iface === undefined) {
      throw new PcapFormatError(
        `pcapng packet block at offset ${offset} (frame ${frame}) names interface ${id}, but the section declared ${this.interfaces.length}: the file is damaged (repair it with pcapfix)`,
        'capture-unknown-interface',
        offset,
      );
    }
    let data: Buffer;
    let at: number;
    if (type === EPB) {
      if (len < 32) throw this.tooShort('enhanced packet', offset, len, 32);
      const captured = this.u32(b, 20);
      if (captured > len - 32) {
        throw new PcapFormatError(`pcapng enhanced packet block at offset ${offset} (frame ${frame}) claims ${captured} captured bytes in a ${len}-byte block: the file is damaged (repair it with pcapfix)`, 'capture-bad-block', offset);
      }
      data = b.subarray(28, 28 + captured);
      at = this.time(iface, this.u32(b, 12), this.u32(b, 16));
    } else {
      if (len < 16) throw this.tooShort('simple packet', offset, len, 16);
      const original = this.u32(b, 8);
      // a simple packet block has no captured length: it is the original cut to the snap length
      const captured = Math.min(original, len - 16, iface.snapLen > 0 ? iface.snapLen : Infinity);
      data = b.subarray(12, 12 + captured);
      // a simple packet block carries no timestamp; the decoder reads time from the export itself
      at = 0;
    }
    return frameToUdp(iface.linkType, data, this.little, frame, at, ports);
  }

  private describe(b: Buffer, offset: number): void {
    if (b.length < 20) throw this.tooShort('interface description', offset, b.length, 20);
    const linkType = this.u16(b, 8);
    const index = this.interfaces.length;
    if (!isSupportedLinkType(linkType)) {
      throw new PcapFormatError(
        `pcapng interface ${index} (block at offset ${offset}) has link type ${linkType}, which is not supported (${SUPPORTED_LINK_TYPES_TEXT}): capture on the interface facing the exporters (tcpdump -i IFACE)`,
        'capture-link-type',
        offset,
      );
    }
    const iface: Interface = { linkType, snapLen: this.u32(b, 12), decimal: true, exp: 6n, offsetMs: 0n };
    // options run from byte 16 to the trailing length; each value is padded to 32 bits
    for (let p = 16; p + 4 <= b.length - 4; ) {
      const code = this.u16(b, p);
      const n = this.u16(b, p + 2);
      if (code === OPT_END) break;
      if (p + 4 + n > b.length - 4) break;
      if (code === IF_TSRESOL && n >= 1) {
        const v = b[p + 4];
        iface.decimal = (v & 0x80) === 0;
        iface.exp = BigInt(v & 0x7f);
      } else if (code === IF_TSOFFSET && n >= 8) {
        iface.offsetMs = (this.little ? b.readBigInt64LE(p + 4) : b.readBigInt64BE(p + 4)) * 1000n;
      }
      p += 4 + n + ((4 - (n % 4)) % 4);
    }
    this.interfaces.push(iface);
  }

  /** Epoch ms, rounded down as the classic reader does, so both containers agree. */
  private time(iface: Interface, high: number, low: number): number {
    const units = (BigInt(high) << 32n) | BigInt(low);
    const ms = iface.decimal ? (units * 1000n) / 10n ** iface.exp : (units * 1000n) >> iface.exp;
    return Number(ms + iface.offsetMs);
  }

  private tooShort(what: string, offset: number, len: number, min: number): PcapFormatError {
    return new PcapFormatError(`pcapng ${what} block at offset ${offset} is ${len} bytes, below its minimum of ${min}: the file is damaged (repair it with pcapfix)`, 'capture-bad-block', offset);
  }
}

/** The UDP datagrams of a pcapng file, streamed so a large capture is not read into memory at once. */
export async function* pcapngFileUdp(path: string, options: PcapReadOptions = {}): AsyncGenerator<PcapItem> {
  const fh = await open(path, 'r');
  try {
    const w = new FileWindow(fh);
    const s = new Section();
    const ports = options.dstPorts ? new Set(options.dstPorts) : null;
    let first = true;
    while (await w.fill(1)) {
      const offset = w.offset;
      const cut = (what: string): PcapItem => ({
        kind: 'problem',
        frame: s.frame + 1,
        reason: `capture ends inside ${what} at byte ${offset}: the file was cut (copied while still being written?); the frames before it were read`,
      });
      if (!(await w.fill(12))) {
        if (first) throw new PcapFormatError(`not a pcapng file: ${w.buf.length} bytes is shorter than a section header (an empty or cut file: capture again)`, 'capture-too-short', 0);
        yield cut('a block header');
        return;
      }
      const type = w.buf.readUInt32BE(0);
      if (first && type !== SHB) {
        throw new PcapFormatError(`not a pcapng file: it starts with 0x${type.toString(16).padStart(8, '0')}, not a section header`, 'capture-not-a-capture', 0);
      }
      first = false;
      if (type === SHB) s.begin(w.buf, offset);
      const len = s.u32(w.buf, 4);
      if (len % 4 !== 0 || len < 12 || (type === SHB && len < 28)) {
        throw new PcapFormatError(`pcapng block at offset ${offset} has length ${len}, not a multiple of 4 of at least ${type === SHB ? 28 : 12}: the file is damaged (repair it with pcapfix)`, 'capture-bad-block', offset);
      }
      if (!(await w.fill(len))) {
        yield cut(`a ${len}-byte block`);
        return;
      }
      const trailer = s.u32(w.buf, len - 4);
      if (trailer !== len) {
        throw new PcapFormatError(`pcapng block at offset ${offset} starts with length ${len} but ends with ${trailer}: the file is damaged (repair it with pcapfix)`, 'capture-bad-block', offset);
      }
      const item = s.block(w.buf.subarray(0, len), offset, ports);
      // copy, so a small payload does not pin the whole read chunk
      if (item) yield item.kind === 'udp' ? { ...item, payload: Buffer.from(item.payload) } : item;
      w.skip(len);
    }
  } finally {
    await fh.close();
  }
}
