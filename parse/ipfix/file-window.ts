import type { FileHandle } from 'node:fs/promises';

/**
 * A sliding window over a file read in large chunks, so a capture of any size is streamed with
 * one read per megabyte rather than one per frame, and never held whole in memory.
 */
export class FileWindow {
  /** The unread bytes at hand; `buf[0]` is the byte at file offset `offset`. */
  buf: Buffer = Buffer.alloc(0);
  offset = 0;
  private eof = false;

  constructor(
    private readonly fh: FileHandle,
    private readonly chunk = 1 << 20,
  ) {}

  /** Reads until `need` bytes are at hand; false when the file ends first. */
  async fill(need: number): Promise<boolean> {
    while (this.buf.length < need && !this.eof) {
      const more = Buffer.allocUnsafe(Math.max(this.chunk, need - this.buf.length));
      const { bytesRead } = await this.fh.read(more, 0, more.length, null);
      if (bytesRead === 0) this.eof = true;
      this.buf = this.buf.length === 0 ? more.subarray(0, bytesRead) : Buffer.concat([this.buf, more.subarray(0, bytesRead)]);
    }
    return this.buf.length >= need;
  }

  /** Moves past `n` bytes that have been read. */
  skip(n: number): void {
    this.buf = this.buf.subarray(n);
    this.offset += n;
  }
}
