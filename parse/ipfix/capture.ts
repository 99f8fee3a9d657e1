import { open } from 'node:fs/promises';
import { PcapFormatError } from './capture-error.js';
import type { PcapItem } from './frames.js';
import { pcapFileUdp, type PcapReadOptions } from './pcap.js';
import { pcapngFileUdp } from './pcapng.js';

export type CaptureKind = 'pcap' | 'pcapng';

/** Bytes {@link captureKind} wants to see; fewer are enough for classic pcap. */
export const CAPTURE_SNIFF_BYTES = 12;

/**
 * Which capture container a file is, from its first bytes (at least 4; 12 lets pcapng be
 * told apart from text that happens to start with CR/LF bytes), or null for anything else.
 */
export function captureKind(firstBytes: Uint8Array): CaptureKind | null {
  if (firstBytes.length < 4) return null;
  const b = Buffer.from(firstBytes.buffer, firstBytes.byteOffset, firstBytes.length);
  const magic = b.readUInt32BE(0);
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d || magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) return 'pcap';
  if (magic === 0x0a0d0d0a) {
    if (b.length < 12) return 'pcapng';
    const order = b.readUInt32BE(8);
    return order === 0x1a2b3c4d || order === 0x4d3c2b1a ? 'pcapng' : null;
  }
  return null;
}

/** The kind of capture at `path`, or null when it is not one (a text log, say). */
export async function captureKindOfFile(path: string): Promise<CaptureKind | null> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(CAPTURE_SNIFF_BYTES);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    return captureKind(head.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/**
 * The UDP datagrams of a classic pcap or pcapng file, whichever it is. Throws a
 * {@link PcapFormatError} (code `capture-not-a-capture`) for a file that is neither.
 */
export async function* captureFileUdp(path: string, options: PcapReadOptions = {}): AsyncGenerator<PcapItem, CaptureKind> {
  const kind = await captureKindOfFile(path);
  if (kind === null) {
    throw new PcapFormatError(
      `${path} is not a pcap or pcapng capture (no capture magic number at offset 0): give a tcpdump/Wireshark capture, or read a text log with its own --format`,
      'capture-not-a-capture',
      0,
    );
  }
  yield* kind === 'pcap' ? pcapFileUdp(path, options) : pcapngFileUdp(path, options);
  return kind;
}
