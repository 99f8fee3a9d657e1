/**
 * Syslog over TCP framing (RFC 6587), byte-exact: octet counting (`<len> <msg>`, §3.4.1) and
 * non-transparent framing (LF-terminated, §3.4.2). Work stays on Buffers so octet counts are
 * counted in octets, and a message is decoded once, when it is complete.
 */

/** Longest message accepted, in bytes: the pipeline's line cap (64 Ki characters) for ASCII logs. */
export const MAX_MESSAGE = 64 * 1024;

/** Bytes of a rejected message kept for its reject: enough to see what it was and who sent it. */
export const REJECT_HEAD = 512;

export interface FrameSink {
  /** A complete message without its framing (and without a trailing CR/LF). */
  message(bytes: Buffer): void;
  /** A message (or framing) that could not be read; `head` is its start, when there is one. */
  reject(reason: string, head: Buffer): void;
}

// A length prefix has at most this many digits; more is not a length anyone sends.
const MAX_LEN_DIGITS = 9;

type Mode = 'probe' | 'octet' | 'lf';

/**
 * One TCP connection's framing. The mode is decided from the connection's first bytes: a
 * non-zero digit run ended by a space is an octet count, anything else is a line. Looking past
 * the first digit keeps a headerless line that starts with a digit (a Kea CSV row, an ISO time)
 * from being misread as a length.
 */
export class SyslogFramer {
  private mode: Mode = 'probe';
  private probe: Buffer = Buffer.alloc(0);
  // octet counting: the length being read, then the frame being read
  private lenDigits = 0;
  private len = 0;
  private frameLen = 0;
  private need = 0;
  private skipping = false;
  private skipReported = false;
  // both modes: the parts of the message being assembled
  private parts: Buffer[] = [];
  private partsLen = 0;
  // lf mode: a line already rejected as over-long is being skipped up to its LF
  private discarding = false;
  private lost = false;

  constructor(
    private readonly sink: FrameSink,
    private readonly max = MAX_MESSAGE,
  ) {}

  /** The framing chosen for the connection, once its first bytes decided it. */
  get framing(): 'octet-counting' | 'non-transparent' | undefined {
    return this.mode === 'octet' ? 'octet-counting' : this.mode === 'lf' ? 'non-transparent' : undefined;
  }

  /**
   * Reads a chunk. Returns false when the octet-counting framing is lost (a frame does not start
   * with a length): nothing after it can be delimited, so the caller closes the connection.
   */
  push(chunk: Buffer): boolean {
    if (this.lost) return false;
    if (this.mode === 'probe') {
      const data = this.probe.length > 0 ? Buffer.concat([this.probe, chunk]) : chunk;
      const mode = decide(data);
      if (mode === undefined) {
        this.probe = Buffer.from(data);
        return true;
      }
      this.mode = mode;
      this.probe = Buffer.alloc(0);
      chunk = data;
    }
    if (this.mode === 'lf') this.pushLines(chunk);
    else this.pushFrames(chunk);
    return !this.lost;
  }

  /** The connection closed: a last line without LF is a message; a frame cut short is rejected. */
  end(): void {
    if (this.lost) return;
    if (this.mode === 'probe' && this.probe.length > 0) {
      this.mode = 'lf';
      this.pushLines(this.probe);
    }
    if (this.mode === 'lf') {
      if (!this.discarding && this.partsLen > 0) this.deliver(this.take());
    } else if (this.mode === 'octet') {
      if (this.skipping && !this.skipReported) {
        this.rejectSkipped(' (the connection closed before its end)');
      } else if (this.need > 0 && !this.skipping) {
        this.sink.reject(`connection closed after ${this.frameLen - this.need} of the ${this.frameLen} bytes of an octet-counted frame`, head(this.take()));
      } else if (this.lenDigits > 0) {
        this.sink.reject(`connection closed inside the length of an octet-counted frame (${this.len})`, Buffer.alloc(0));
      }
    }
    this.parts = [];
    this.partsLen = 0;
  }

  /** We close the connection: a message still incomplete is rejected, never delivered cut short. */
  abort(why: string): void {
    if (this.lost) return;
    this.lost = true;
    if (this.skipping && !this.skipReported) return this.rejectSkipped(` (${why} before its end)`);
    const partial = this.mode === 'probe' ? this.probe : this.discarding || this.skipping ? Buffer.alloc(0) : this.take();
    if (partial.length > 0) this.sink.reject(`${why} with an incomplete message (${partial.length} bytes) unread`, head(partial));
  }

  private pushLines(chunk: Buffer): void {
    let pos = 0;
    for (;;) {
      const lf = chunk.indexOf(10, pos);
      if (lf < 0) {
        if (pos < chunk.length) this.collect(chunk.subarray(pos));
        return;
      }
      const piece = chunk.subarray(pos, lf);
      pos = lf + 1;
      if (this.discarding) {
        this.discarding = false;
        continue;
      }
      if (this.partsLen + piece.length > this.max) {
        this.overlongLine(piece);
        this.discarding = false;
        continue;
      }
      this.parts.push(piece);
      this.partsLen += piece.length;
      this.deliver(this.take());
    }
  }

  // The unterminated rest of a chunk. Copied, because Node may reuse a chunk's memory.
  private collect(rest: Buffer): void {
    if (this.discarding) return;
    if (this.partsLen + rest.length > this.max) {
      this.overlongLine(rest);
      return;
    }
    this.parts.push(Buffer.from(rest));
    this.partsLen += rest.length;
  }

  // Rejected as soon as it passes the limit, so a sender that never sends LF is reported
  // without waiting for a line end that may never come; the rest of the line is skipped.
  private overlongLine(more: Buffer): void {
    // More than `max` bytes are at hand here, so a head of min(max, REJECT_HEAD) bytes is the
    // same however the line was split into chunks.
    const start = this.take();
    const want = Math.min(this.max, REJECT_HEAD);
    const h = start.length >= want ? start.subarray(0, want) : Buffer.concat([start, more.subarray(0, want - start.length)]);
    this.sink.reject(`message longer than the limit of ${this.max} bytes: rejected unread, skipped to the next line end`, h);
    this.discarding = true;
  }

  private pushFrames(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.need > 0) {
        const n = Math.min(this.need, chunk.length - pos);
        if (!this.skipping) {
          this.parts.push(Buffer.from(chunk.subarray(pos, pos + n)));
          this.partsLen += n;
        } else if (!this.skipReported) {
          // An over-long frame keeps only its head, for the reject.
          const k = Math.min(n, this.headBytes() - this.partsLen);
          this.parts.push(Buffer.from(chunk.subarray(pos, pos + k)));
          this.partsLen += k;
          if (this.partsLen === this.headBytes()) this.rejectSkipped('');
        }
        this.need -= n;
        pos += n;
        if (this.need === 0) {
          if (this.skipping) this.skipping = false;
          else this.deliver(this.take());
        }
        continue;
      }
      const c = chunk[pos];
      if (c >= 48 && c <= 57 && !(c === 48 && this.lenDigits === 0)) {
        this.len = this.len * 10 + (c - 48);
        if (++this.lenDigits > MAX_LEN_DIGITS) return this.lose(chunk, pos, `octet-counted frame length has more than ${MAX_LEN_DIGITS} digits`);
        pos++;
      } else if (c === 32 && this.lenDigits > 0) {
        pos++;
        this.startFrame();
      } else if ((c === 10 || c === 13) && this.lenDigits === 0) {
        // Some senders end each octet-counted frame with a line end as well; it frames nothing.
        pos++;
      } else {
        return this.lose(chunk, pos, `octet-counted frame does not start with a length (byte ${JSON.stringify(String.fromCharCode(c))})`);
      }
    }
  }

  private startFrame(): void {
    this.frameLen = this.len;
    this.need = this.len;
    this.len = 0;
    this.lenDigits = 0;
    // The count says where the next frame starts, so only this one is lost.
    this.skipping = this.frameLen > this.max;
    this.skipReported = false;
  }

  // A head of the same size whatever the chunking, once that many bytes are in.
  private headBytes(): number {
    return Math.min(this.max, REJECT_HEAD);
  }

  private rejectSkipped(note: string): void {
    this.skipReported = true;
    this.sink.reject(`octet-counted frame of ${this.frameLen} bytes is longer than the limit of ${this.max}: skipped unread${note}`, this.take());
  }

  private deliver(bytes: Buffer): void {
    let end = bytes.length;
    while (end > 0 && (bytes[end - 1] === 10 || bytes[end - 1] === 13)) end--;
    this.sink.message(end === bytes.length ? bytes : bytes.subarray(0, end));
  }

  private lose(chunk: Buffer, pos: number, reason: string): void {
    this.lost = true;
    this.sink.reject(`${reason}: framing lost, connection closed`, head(chunk.subarray(pos)));
  }

  private take(): Buffer {
    const b = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partsLen);
    this.parts = [];
    this.partsLen = 0;
    return b;
  }
}

/** The framing the connection's first bytes show, or undefined while they are all digits. */
function decide(data: Buffer): Mode | undefined {
  if (data.length === 0) return undefined;
  const first = data[0];
  if (!(first >= 49 && first <= 57)) return 'lf';
  for (let i = 1; i < data.length; i++) {
    const c = data[i];
    if (c >= 48 && c <= 57) {
      if (i >= MAX_LEN_DIGITS) return 'lf';
      continue;
    }
    return c === 32 ? 'octet' : 'lf';
  }
  return data.length > MAX_LEN_DIGITS ? 'lf' : undefined;
}

function head(b: Buffer): Buffer {
  return b.length > REJECT_HEAD ? b.subarray(0, REJECT_HEAD) : b;
}

/** A datagram's message: one per datagram (RFC 5426), without the line end some senders add. */
export function datagramMessage(msg: Buffer): Buffer {
  let end = msg.length;
  while (end > 0 && (msg[end - 1] === 10 || msg[end - 1] === 13 || msg[end - 1] === 0)) end--;
  return end === msg.length ? msg : msg.subarray(0, end);
}
