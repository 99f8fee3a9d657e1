import { Transform, type TransformCallback } from 'node:stream';
import type { DomainError } from '../core/domain-error.js';
import { NulFinder, nulText } from '../core/nul.js';
import { badInput, MAX_RECORD_BYTES, tooLarge } from './input-errors.js';

const ADVICE = 'save the file as UTF-8 (in a spreadsheet: "CSV UTF-8")';

export interface UploadGuardOptions {
  /**
   * What a problem does. `error` (the default): the stream fails with it. `end`: the complete
   * lines before it are passed on, then the stream ends and `stopped` says why, so a reader
   * that has begun answering can answer every row it was given and say where the upload stopped;
   * the rest of the upload is read and dropped.
   */
  onProblem?: 'error' | 'end';
}

/**
 * Counts bytes against the limit and refuses what is not UTF-8 text: a UTF-16 or UTF-32 byte
 * order mark, or a NUL byte anywhere (UTF-16 without a mark, or a binary file), named by byte
 * and line, found in one pass over each chunk. A UTF-8 byte order mark passes (the CSV reader
 * drops it).
 */
export class UploadGuard extends Transform {
  bytes = 0;
  /** Why the upload was cut short (`end` mode), once it was. */
  stopped: DomainError | null = null;
  /** The first bytes, as many as a byte order mark has. */
  private head = Buffer.alloc(0);
  private readonly nul = new NulFinder();
  private readonly ends: boolean;
  // `end` mode holds back a line until its line end has come: cut short, the stream then never
  // ends with part of a record, which could be read as another question (a time without its zone)
  private carry: Buffer[] = [];
  private carried = 0;

  constructor(
    private readonly limit: number,
    options: UploadGuardOptions = {},
  ) {
    super();
    this.ends = options.onProblem === 'end';
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    if (this.stopped) return done();
    const before = this.bytes;
    this.bytes += chunk.length;
    const problem = this.problem(chunk, before);
    if (!problem) {
      this.pass(chunk);
      return done();
    }
    if (!this.ends) return done(problem.error);
    this.stopped = problem.error;
    const lf = problem.at > 0 ? chunk.lastIndexOf(10, problem.at - 1) : -1;
    if (lf !== -1) {
      for (const part of this.carry) this.push(part);
      this.push(chunk.subarray(0, lf + 1));
    }
    this.carry = [];
    this.push(null);
    done();
  }

  override _flush(done: TransformCallback) {
    if (!this.stopped) for (const part of this.carry) this.push(part);
    this.carry = [];
    done();
  }

  /** The first problem in this chunk and the index in it where it stands. */
  private problem(chunk: Buffer, before: number): { error: DomainError; at: number } | null {
    if (this.head.length < 4) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, 4 - this.head.length)]);
      const bom = byteOrderMark(this.head);
      if (bom) return { error: badInput(bom), at: 0 };
    }
    const nul = this.nul.push(chunk);
    const overAt = this.bytes > this.limit ? this.limit - before : Infinity;
    if (nul && nul.byte - 1 - before < overAt) return { error: badInput(`${nulText('the file', nul)}: ${ADVICE}`), at: nul.byte - 1 - before };
    if (overAt !== Infinity) return { error: tooLarge(this.limit), at: overAt };
    return null;
  }

  private pass(chunk: Buffer) {
    if (!this.ends) {
      this.push(chunk);
      return;
    }
    const lf = chunk.lastIndexOf(10);
    if (lf === -1) {
      this.carry.push(chunk);
      this.carried += chunk.length;
      // a line this long is a record too long to read whatever happens: the reader marks it so
      if (this.carried > MAX_RECORD_BYTES) this.release();
      return;
    }
    this.release();
    this.push(chunk.subarray(0, lf + 1));
    if (lf + 1 < chunk.length) {
      this.carry.push(chunk.subarray(lf + 1));
      this.carried = chunk.length - lf - 1;
    }
  }

  private release() {
    for (const part of this.carry) this.push(part);
    this.carry = [];
    this.carried = 0;
  }
}

function byteOrderMark(b: Buffer): string | null {
  if (b.length >= 4 && ((b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) || (b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff))) {
    return `the file is UTF-32 (byte order mark): ${ADVICE}`;
  }
  if (b.length >= 2 && ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff))) return `the file is UTF-16 (byte order mark ${b[0] === 0xff ? 'FF FE' : 'FE FF'}): ${ADVICE}`;
  return null;
}
