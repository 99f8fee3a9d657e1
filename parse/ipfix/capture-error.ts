/**
 * A capture file that cannot be read at all (not a capture, a link type we cannot decode, a
 * broken block structure). Problems with single frames are not errors: the readers yield them
 * as values so the rest of the capture is still replayed.
 */

export type CaptureErrorCode =
  /** Neither a classic pcap nor a pcapng magic number at the start. */
  | 'capture-not-a-capture'
  /** The file ends inside its first header. */
  | 'capture-too-short'
  /** An interface uses a link layer the readers cannot take apart. */
  | 'capture-link-type'
  /** A pcapng block whose length fields contradict each other or the format. */
  | 'capture-bad-block'
  /** A pcapng packet names an interface no Interface Description Block declared. */
  | 'capture-unknown-interface'
  /** No more specific code applies. */
  | 'capture-unreadable';

export class PcapFormatError extends Error {
  constructor(
    message: string,
    readonly code: CaptureErrorCode = 'capture-unreadable',
    /** Byte offset in the file the problem was found at, when it has one. */
    readonly offset: number | null = null,
  ) {
    super(message);
    this.name = 'PcapFormatError';
  }
}
