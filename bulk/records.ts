import { Transform, type TransformCallback } from 'node:stream';
import type { RowError } from './row.js';

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const BOM = [0xef, 0xbb, 0xbf];

type Delimiter = 'lf' | 'crlf' | 'cr';
const DELIMITER_TEXT: Record<Delimiter, string> = { lf: '\n', crlf: '\r\n', cr: '\r' };

/**
 * Finds where each CSV record ends, the way csv-parse does with the options bulk uses (RFC
 * 4180 quotes, relaxed quotes, the first CR, LF or CRLF outside quotes fixes the line end), and
 * stands in for a record longer than `max` bytes, so the reader never meets one.
 *
 * Such a record is not held: once it passes `max` its bytes are dropped up to its end, and in
 * its place goes a one-field record holding `marker` (a value no upload can guess), which the
 * reader turns into one error row with the reason from `skipped`. Every record before and
 * after passes unchanged, byte for byte: csv-parse alone, given an oversized record, loses its
 * place in the file and with it every later row. Line breaks inside the dropped record are kept
 * as blank lines (which the reader skips), so later line numbers still match the file.
 */
export class RecordSplitter extends Transform {
  private delimiter: Delimiter | null = null;
  private quoting = false;
  /** Nothing of the current field read yet: only here does a quote open a quoted field. */
  private fieldStart = true;
  /** Bytes of the current record held back from earlier chunks (the record is not complete yet). */
  private held: Buffer[] = [];
  /** Field bytes of the current record, counted as csv-parse counts them against its max_record_size. */
  private recordBytes = 0;
  /** All bytes of the current record, quotes and commas too. */
  private recordRaw = 0;
  private dropping = false;
  private dropped = 0;
  private line = 1;
  private recordLine = 1;
  private recordBreaks = 0;
  /** Unread bytes at the end of a chunk that need the next one to be understood (a quote or a CR). */
  private carry: Buffer | null = null;
  /** Bytes read so far, and whether they could still be the start of a byte order mark. */
  private offset = 0;
  private bom = true;

  constructor(
    private readonly max: number,
    private readonly marker: string,
    /** Why each marker stands where it does, in order. */
    private readonly skipped: RowError[],
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    const buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = null;
    this.scan(buf, false);
    done();
  }

  override _flush(done: TransformCallback) {
    if (this.carry) {
      const buf = this.carry;
      this.carry = null;
      this.scan(buf, true);
    }
    if (this.dropping) this.standIn(this.delimiter ? DELIMITER_TEXT[this.delimiter] : '\n', true);
    else if (this.held.length > 0) this.push(Buffer.concat(this.held));
    this.held = [];
    done();
  }

  /** Length of the line end at `i` (0: none; -1: cannot tell before the next chunk). */
  private lineEnd(buf: Buffer, i: number, end: boolean): number {
    const c = buf[i];
    if (c !== LF && c !== CR) return 0;
    const d = this.delimiter;
    if (d === 'lf') return c === LF ? 1 : 0;
    if (d === 'cr') return c === CR ? 1 : 0;
    if (c === LF) return d === null ? 1 : 0;
    // a CR: CRLF, or (undecided) a lone CR; either way the next byte tells
    if (i + 1 >= buf.length) return end ? (d === null ? 1 : 0) : -1;
    if (buf[i + 1] === LF) return 2;
    return d === null ? 1 : 0;
  }

  private scan(buf: Buffer, end: boolean) {
    let pass = 0; // start of complete records not yet pushed
    let recordAt = 0; // where the current record starts in buf (0 if it began in an earlier chunk)
    let i = 0;
    const n = buf.length;
    while (i < n) {
      const c = buf[i];
      let step = 1;
      // bytes of field text this one adds (quotes, commas and line ends that are syntax add none)
      let text = 1;
      let recordEnds = false;
      if (this.bom && this.offset < 3 && c === BOM[this.offset]) {
        // a UTF-8 byte order mark, which the reader drops: the first field has not started yet
        text = 0;
      } else if (this.quoting) {
        this.bom = false;
        if (c === QUOTE) {
          if (i + 1 >= n && !end) break;
          const next = buf[i + 1];
          if (next === QUOTE) step = 2;
          else {
            // the quoted part ends: before a comma or a line end as it should, or (relaxed
            // quotes) anywhere else, where both quotes then count as text; the rest of the field is plain text
            const le = i + 1 >= n ? 1 : this.lineEnd(buf, i + 1, end);
            if (le === -1) break;
            text = le > 0 || next === COMMA ? 0 : 2;
            this.quoting = false;
            this.fieldStart = false;
          }
        } else if (c === LF || c === CR) {
          if (c === CR && i + 1 >= n && !end) break;
          if (!(c === CR && buf[i + 1] === LF)) this.lineBreak();
        }
      } else if (c === QUOTE && this.fieldStart) {
        this.bom = false;
        this.quoting = true;
        this.fieldStart = false;
        text = 0;
      } else {
        this.bom = false;
        const le = this.lineEnd(buf, i, end);
        if (le === -1) break;
        if (le > 0) {
          if (this.delimiter === null) this.delimiter = le === 2 ? 'crlf' : c === LF ? 'lf' : 'cr';
          step = le;
          text = 0;
          recordEnds = true;
          this.lineBreak();
        } else {
          if (c === LF || (c === CR && buf[i + 1] !== LF)) this.lineBreak();
          this.fieldStart = c === COMMA;
          if (c === COMMA) text = 0;
        }
      }
      i += step;
      this.offset += step;
      this.recordBytes += text;
      this.recordRaw += step;
      if (!this.dropping && this.recordBytes > this.max) {
        // the record is too long: what was read of it goes, and so does the rest up to its end
        if (recordAt > pass) this.push(buf.subarray(pass, recordAt));
        this.held = [];
        this.dropping = true;
        this.dropped = this.recordRaw;
      } else if (this.dropping) this.dropped += step;
      if (recordEnds) {
        if (this.dropping) {
          this.standIn(buf.toString('latin1', i - step, i), false);
          pass = i;
        } else if (this.held.length > 0) {
          this.push(Buffer.concat(this.held));
          this.held = [];
        }
        recordAt = i;
        this.recordBytes = 0;
        this.recordRaw = 0;
        this.recordLine = this.line;
        this.recordBreaks = 0;
        this.fieldStart = true;
      }
    }
    if (i < n) this.carry = Buffer.from(buf.subarray(i));
    if (this.dropping) return;
    if (recordAt > pass) this.push(buf.subarray(pass, recordAt));
    if (i > recordAt) this.held.push(Buffer.from(buf.subarray(recordAt, i)));
  }

  /** The file's line end, once the first one outside quotes has been read. */
  get lineEnding(): string | null {
    return this.delimiter ? DELIMITER_TEXT[this.delimiter] : null;
  }

  private lineBreak() {
    this.line++;
    this.recordBreaks++;
  }

  /** The marker record in place of a dropped one, ended as it was, with its inner line breaks as blank lines. */
  private standIn(ending: string, atEnd: boolean) {
    const blank = this.delimiter ? DELIMITER_TEXT[this.delimiter] : '\n';
    const inner = Math.max(0, this.recordBreaks - (atEnd ? 0 : 1));
    this.skipped.push(
      atEnd && this.quoting
        ? {
            code: 'upload_incomplete',
            message: `the quote opened in the record at line ${this.recordLine} never closes: the rest of the file (${this.dropped} bytes) reads as one record longer than ${this.max} bytes, so no row after line ${this.recordLine} could be read; close the quote and send the file again`,
          }
        : {
            code: 'record_too_long',
            message: `the record at line ${this.recordLine} is ${this.dropped} bytes, longer than the ${this.max} a record may have (a file without line ends, or a quote that never closes?): it was not read, the rows after it were`,
          },
    );
    this.push(`${this.marker}${ending || blank}${blank.repeat(inner)}`);
    this.dropping = false;
    this.held = [];
    this.quoting = false;
  }
}
