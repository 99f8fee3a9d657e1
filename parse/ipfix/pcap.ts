import { open } from 'node:fs/promises';
import { PcapFormatError } from './capture-error.js';
import { FileWindow } from './file-window.js';
import { frameToUdp, isSupportedLinkType, SUPPORTED_LINK_TYPES_TEXT, type PcapItem } from './frames.js';

/**
 * Classic libpcap reader that yields the UDP datagrams of a capture, for replaying NetFlow v9 /
 * IPFIX exports recorded with tcpdump. Both byte orders, µs and ns timestamps; link types
 * Ethernet (802.1Q / QinQ), raw IP, BSD loopback and Linux cooked (SLL, SLL2). pcapng has its
 * own reader (pcapng.ts); `captureFileUdp` (capture.ts) picks the reader by magic number.
 */

export interface PcapReadOptions {
  /** Only datagrams to these destination ports (e.g. 2055, 4739); default all UDP. */
  dstPorts?: number[];
}

interface Header {
  little: boolean;
  nano: boolean;
  linkType: number;
}

/** Reads the 24-byte global header; throws PcapFormatError for pcapng and anything else. */
export function pcapHeader(b: Buffer): Header {
  if (b.length < 24) {
    throw new PcapFormatError(
      `not a pcap file: ${b.length} bytes is shorter than the 24-byte header (an empty or cut file: capture again)`,
      'capture-too-short',
      0,
    );
  }
  const magic = b.readUInt32BE(0);
  // only reached when this reader is called directly: captureFileUdp sends pcapng to its own reader
  if (magic === 0x0a0d0d0a) throw new PcapFormatError('pcapng not supported; convert with editcap -F pcap');
  let little: boolean;
  let nano: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) [little, nano] = [false, magic === 0xa1b23c4d];
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) [little, nano] = [true, magic === 0x4d3cb2a1];
  else {
    throw new PcapFormatError(
      `not a pcap file: magic 0x${magic.toString(16).padStart(8, '0')} at offset 0 (give a tcpdump/Wireshark capture, or a text log with its own --format)`,
      'capture-not-a-capture',
      0,
    );
  }
  // the upper bits of the link-type word carry FCS information (pcap-linktype(7))
  const linkType = (little ? b.readUInt32LE(20) : b.readUInt32BE(20)) & 0x0fffffff;
  if (!isSupportedLinkType(linkType)) {
    throw new PcapFormatError(
      `pcap link type ${linkType} is not supported (${SUPPORTED_LINK_TYPES_TEXT}), at offset 20: capture on the interface facing the exporters (tcpdump -i IFACE)`,
      'capture-link-type',
      20,
    );
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
    const w = new FileWindow(fh);
    await w.fill(24);
    const h = pcapHeader(w.buf);
    const ports = options.dstPorts ? new Set(options.dstPorts) : null;
    w.skip(24);
    let frame = 0;
    while (await w.fill(1)) {
      frame++;
      if (!(await w.fill(16))) {
        yield { kind: 'problem', frame, reason: `capture ends inside a record header at byte ${w.offset}` };
        return;
      }
      const incl = h.little ? w.buf.readUInt32LE(8) : w.buf.readUInt32BE(8);
      if (!(await w.fill(16 + incl))) {
        yield { kind: 'problem', frame, reason: `capture ends inside frame data at byte ${w.offset + 16} (${incl} bytes announced)` };
        return;
      }
      // copy, so a small payload does not pin the whole read chunk
      const item = frameUdp(h, w.buf, 0, frame, ports);
      if (item) yield item.kind === 'udp' ? { ...item, payload: Buffer.from(item.payload) } : item;
      w.skip(16 + incl);
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
  return frameToUdp(h.linkType, b.subarray(pos + 16, pos + 16 + incl), h.little, frame, at, ports);
}
