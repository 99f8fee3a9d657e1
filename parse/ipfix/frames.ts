import { bytesToIp } from '../../core/ip.js';

/**
 * From a captured frame to the UDP datagram it carries, for every capture container (classic
 * pcap, pcapng): one place that knows link layers, IPv4/IPv6 and UDP, so both containers hand
 * the decoder exactly the same datagrams.
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

const LINK_NULL = 0;
const LINK_ETHERNET = 1;
const LINK_RAW_BSD = 12;
const LINK_RAW_OPENBSD = 14;
const LINK_RAW = 101;
const LINK_LOOP = 108;
const LINK_SLL = 113;
const LINK_SLL2 = 276;

const SUPPORTED = new Set([LINK_NULL, LINK_ETHERNET, LINK_RAW_BSD, LINK_RAW_OPENBSD, LINK_RAW, LINK_LOOP, LINK_SLL, LINK_SLL2]);

/** Link types (pcap-linktype(7)) whose frames {@link frameToUdp} can take apart. */
export function isSupportedLinkType(linkType: number): boolean {
  return SUPPORTED.has(linkType);
}

export const SUPPORTED_LINK_TYPES_TEXT = 'Ethernet, raw IP, loopback, Linux cooked';

/**
 * The UDP datagram in one captured frame, a problem if it carried UDP we cannot read, or null
 * for other traffic and datagrams to ports outside `ports`. `little`: the capture's byte order,
 * which the BSD loopback header is written in.
 */
export function frameToUdp(linkType: number, data: Buffer, little: boolean, frame: number, at: number, ports: ReadonlySet<number> | null): PcapItem | null {
  const net = network(linkType, data, little);
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

function udp4(d: Buffer, p: number, frame: number, at: number, ports: ReadonlySet<number> | null): PcapItem | null {
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

function udp6(d: Buffer, p: number, frame: number, at: number, ports: ReadonlySet<number> | null): PcapItem | null {
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

function udpPayload(d: Buffer, q: number, end: number, src: string, dst: string, frame: number, at: number, ports: ReadonlySet<number> | null): PcapItem | null {
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
