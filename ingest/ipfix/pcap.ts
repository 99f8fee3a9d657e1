import { open } from 'node:fs/promises';
import { bytesToIp } from '../../core/ip.js';

/**
 * Classic libpcap reader that yields the UDP datagrams of a capture, for replaying NetFlow v9 /
 * IPFIX exports recorded with tcpdump. Both byte orders, µs and ns timestamps; link types
 * Ethernet (802.1Q / QinQ), raw IP, BSD loopback and Linux cooked (SLL, SLL2). pcapng is
 * refused with the conversion command, since a half-read capture would lose records silently.
 */

export interface UdpDatagram {
  kind: 'udp';
  /** 1-based frame number, as Wireshark counts. */
  frame: number;
  /** Capture time, epoch ms. */
  at: number;
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  payload: Buffer;
}

/** A frame that carried UDP we could not read (cut by the snap length, an IP fragment). */
export interface FrameProblem {
  kind: 'problem';
  frame: number;
  reason: string;
}

export type PcapItem = UdpDatagram | FrameProblem;

export interface PcapReadOptions {
  /** Only datagrams to these destination ports (e.g. 2055, 4739); default all UDP. */
  dstPorts?: number[];
}

export class PcapFormatError extends Error {}

const LINK_NULL = 0;
const LINK_ETHERNET = 1;
const LINK_RAW_BSD = 12;
const LINK_RAW_OPENBSD = 14;
const LINK_RAW = 101;
const LINK_LOOP = 108;
const LINK_SLL = 113;
const LINK_SLL2 = 276;

interface Header {
  little: boolean;
  nano: boolean;
  linkType: number;
}

/** Reads the 24-byte global header; throws PcapFormatError for pcapng and anything else. */
export function pcapHeader(b: Buffer): Header {
  if (b.length < 24) throw new PcapFormatError(`not a pcap file: ${b.length} bytes is shorter than the 24-byte header`);
  const magic = b.readUInt32BE(0);
  if (magic === 0x0a0d0d0a) throw new PcapFormatError('pcapng not supported; convert with editcap -F pcap');
  let little: boolean;
  let nano: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) [little, nano] = [false, magic === 0xa1b23c4d];
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) [little, nano] = [true, magic === 0x4d3cb2a1];
  else throw new PcapFormatError(`not a pcap file: magic 0x${magic.toString(16).padStart(8, '0')}`);
  // the upper bits of the link-type word carry FCS information (pcap-linktype(7))
  const linkType = (little ? b.readUInt32LE(20) : b.readUInt32BE(20)) & 0x0fffffff;
  if (![LINK_NULL, LINK_ETHERNET, LINK_RAW_BSD, LINK_RAW_OPENBSD, LINK_RAW, LINK_LOOP, LINK_SLL, LINK_SLL2].includes(linkType)) {
    throw new PcapFormatError(`pcap link type ${linkType} is not supported (Ethernet, raw IP, loopback, Linux cooked)`);
  }
  return { little, nano, linkType };
}

/** All UDP datagrams of an in-memory capture. */
export function* pcapUdp(b: Buffer, options: PcapReadOptions = {}): Generator<PcapItem> {
  const h = pcapHeader(b);
  const ports = options.dstPorts ? new Set(options.dstPorts) : null;
  let pos = 24;
  let frame = 0;
  while (pos < b.length) {
    frame++;
    if (b.length - pos < 16) {
      yield { kind: 'problem', frame, reason: `capture ends inside a record header at byte ${pos}` };
      return;
    }
    const incl = h.little ? b.readUInt32LE(pos + 8) : b.readUInt32BE(pos + 8);
    if (b.length - pos - 16 < incl) {
      yield { kind: 'problem', frame, reason: `capture ends inside frame data at byte ${pos + 16} (${incl} bytes announced)` };
      return;
    }
    const item = frameUdp(h, b, pos, frame, ports);
    if (item) yield item;
    pos += 16 + incl;
  }
}

/** The same, streamed from a file so a large capture is not read into memory at once. */
export async function* pcapFileUdp(path: string, options: PcapReadOptions = {}): AsyncGenerator<PcapItem> {
  const fh = await open(path, 'r');
  try {
    const chunk = 1 << 20;
    let buf = Buffer.alloc(0);
    let eof = false;
    const fill = async (need: number) => {
      while (buf.length < need && !eof) {
        const more = Buffer.allocUnsafe(Math.max(chunk, need - buf.length));
        const { bytesRead } = await fh.read(more, 0, more.length, null);
        if (bytesRead === 0) eof = true;
        buf = buf.length === 0 ? more.subarray(0, bytesRead) : Buffer.concat([buf, more.subarray(0, bytesRead)]);
      }
      return buf.length >= need;
    };
    await fill(24);
    const h = pcapHeader(buf);
    const ports = options.dstPorts ? new Set(options.dstPorts) : null;
    let offset = 24;
    buf = buf.subarray(24);
    let frame = 0;
    while (await fill(1)) {
      frame++;
      if (!(await fill(16))) {
        yield { kind: 'problem', frame, reason: `capture ends inside a record header at byte ${offset}` };
        return;
      }
      const incl = h.little ? buf.readUInt32LE(8) : buf.readUInt32BE(8);
      if (!(await fill(16 + incl))) {
        yield { kind: 'problem', frame, reason: `capture ends inside frame data at byte ${offset + 16} (${incl} bytes announced)` };
        return;
      }
      // copy, so a small payload does not pin the whole read chunk
      const item = frameUdp(h, buf, 0, frame, ports);
      if (item) yield item.kind === 'udp' ? { ...item, payload: Buffer.from(item.payload) } : item;
      buf = buf.subarray(16 + incl);
      offset += 16 + incl;
    }
  } finally {
    await fh.close();
  }
}

/** One pcap record at `pos` (its 16-byte header first): a UDP datagram, a problem, or nothing. */
function frameUdp(h: Header, b: Buffer, pos: number, frame: number, ports: Set<number> | null): PcapItem | null {
  const sec = h.little ? b.readUInt32LE(pos) : b.readUInt32BE(pos);
  const frac = h.little ? b.readUInt32LE(pos + 4) : b.readUInt32BE(pos + 4);
  const incl = h.little ? b.readUInt32LE(pos + 8) : b.readUInt32BE(pos + 8);
  const at = sec * 1000 + Math.floor(h.nano ? frac / 1e6 : frac / 1e3);
  const data = b.subarray(pos + 16, pos + 16 + incl);
  const net = network(h.linkType, data, h.little);
  if (net === null) return null;
  const [family, p] = net;
  return family === 4 ? udp4(data, p, frame, at, ports) : udp6(data, p, frame, at, ports);
}

/** Where the IP header starts and its version, or null for frames that are not IP. */
function network(linkType: number, d: Buffer, little: boolean): [4 | 6, number] | null {
  let type: number;
  let p: number;
  switch (linkType) {
    case LINK_ETHERNET:
      if (d.length < 14) return null;
      type = d.readUInt16BE(12);
      p = 14;
      while ((type === 0x8100 || type === 0x88a8 || type === 0x9100) && d.length >= p + 4) {
        type = d.readUInt16BE(p + 2);
        p += 4;
      }
      break;
    case LINK_SLL:
      if (d.length < 16) return null;
      type = d.readUInt16BE(14);
      p = 16;
      break;
    case LINK_SLL2:
      if (d.length < 20) return null;
      type = d.readUInt16BE(0);
      p = 20;
      break;
    case LINK_NULL:
    case LINK_LOOP: {
      if (d.length < 4) return null;
      // AF_INET is 2 everywhere; AF_INET6 differs by OS (10, 24, 28, 30). NULL is host order, LOOP network order.
      const af = linkType === LINK_LOOP ? d.readUInt32BE(0) : little ? d.readUInt32LE(0) : d.readUInt32BE(0);
      type = af === 2 ? 0x0800 : [10, 24, 28, 30].includes(af) ? 0x86dd : 0;
      p = 4;
      break;
    }
    default:
      if (d.length < 1) return null;
      type = d[0] >> 4 === 4 ? 0x0800 : d[0] >> 4 === 6 ? 0x86dd : 0;
      p = 0;
  }
  if (type === 0x0800) return [4, p];
  if (type === 0x86dd) return [6, p];
  return null;
}

function udp4(d: Buffer, p: number, frame: number, at: number, ports: Set<number> | null): PcapItem | null {
  if (d.length < p + 20) return null;
  if (d[p + 9] !== 17) return null;
  const ihl = (d[p] & 0x0f) * 4;
  const total = d.readUInt16BE(p + 2);
  const flags = d.readUInt16BE(p + 6);
  const src = bytesToIp(d.subarray(p + 12, p + 16));
  if ((flags & 0x1fff) !== 0 || (flags & 0x2000) !== 0) {
    // only the first fragment has the UDP header; say so once, not for every piece
    if ((flags & 0x1fff) !== 0) return null;
    return { kind: 'problem', frame, reason: `IPv4 fragment from ${src}: fragmented exports are not reassembled (lower the exporter's MTU / template size)` };
  }
  return udpPayload(d, p + ihl, Math.min(d.length, p + total), src, bytesToIp(d.subarray(p + 16, p + 20)), frame, at, ports);
}

function udp6(d: Buffer, p: number, frame: number, at: number, ports: Set<number> | null): PcapItem | null {
  if (d.length < p + 40) return null;
  let next = d[p + 6];
  const end = Math.min(d.length, p + 40 + d.readUInt16BE(p + 4));
  const src = bytesToIp(d.subarray(p + 8, p + 24));
  const dst = bytesToIp(d.subarray(p + 24, p + 40));
  let q = p + 40;
  // hop-by-hop, routing and destination options can precede UDP
  while ((next === 0 || next === 43 || next === 60) && end - q >= 8) {
    const n = d[q];
    q += (d[q + 1] + 1) * 8;
    next = n;
  }
  if (next === 44) {
    if (end - q < 8 || (d.readUInt16BE(q + 2) & 0xfff8) !== 0) return null;
    return { kind: 'problem', frame, reason: `IPv6 fragment from ${src}: fragmented exports are not reassembled` };
  }
  if (next !== 17) return null;
  return udpPayload(d, q, end, src, dst, frame, at, ports);
}

function udpPayload(d: Buffer, q: number, end: number, src: string, dst: string, frame: number, at: number, ports: Set<number> | null): PcapItem | null {
  if (end - q < 8) return { kind: 'problem', frame, reason: `UDP header from ${src} is cut (snap length too short?)` };
  const srcPort = d.readUInt16BE(q);
  const dstPort = d.readUInt16BE(q + 2);
  if (ports && !ports.has(dstPort)) return null;
  const udpLen = d.readUInt16BE(q + 4);
  if (udpLen < 8) return { kind: 'problem', frame, reason: `UDP length ${udpLen} from ${src} is below its header` };
  if (q + udpLen > end) {
    return { kind: 'problem', frame, reason: `UDP datagram from ${src} is cut: ${udpLen} bytes announced, ${end - q} captured (snap length too short?)` };
  }
  return { kind: 'udp', frame, at, src, srcPort, dst, dstPort, payload: d.subarray(q + 8, q + udpLen) };
}
