import { randomBytes } from 'node:crypto';
import { finished, Transform, type Readable, type TransformCallback } from 'node:stream';
import { parse, type Options, type Parser } from 'csv-parse';
import { DomainError } from '../core/domain-error.js';
import { mapHeader, type ColumnMap } from './header.js';
import { RecordSplitter } from './records.js';
import type { RowError } from './row.js';

/**
 * A problem with the upload as a whole: `bad_input` (it cannot be used) or `too_large` (over a
 * limit). The doors turn the code into their answer (HTTP status, exit code) in their one place.
 */
export const badInput = (message: string) => new DomainError('bad_input', message);
const tooLargeInput = (message: string) => new DomainError('too_large', message);

/** Whether a failure is the upload's own (a bulk input error), not the service's. */
export const isInputError = (err: unknown): err is DomainError => err instanceof DomainError && (err.code === 'bad_input' || err.code === 'too_large');

/** A record the CSV reader could not read (bad quoting, far too long); it still gets its output row. */
export class SkippedRecord {
  constructor(readonly error: RowError) {}
}

export type InputRecord = string[] | SkippedRecord;

export interface BulkInput {
  columns: ColumnMap;
  /** The data rows after the header. Ends early (a final SkippedRecord says why) when the upload breaks off. */
  rows: AsyncIterable<InputRecord>;
  /** Bytes read so far. */
  bytes(): number;
}

/** The largest record read, in bytes; a longer one is almost surely a file without line ends or a runaway quote. */
export const MAX_RECORD_BYTES = 1 << 20;

/** A record over MAX_RECORD_BYTES where it cannot be stepped over (the header line). */
export const recordTooLong = (line?: number) =>
  tooLargeInput(
    `the record ${line ? `ending near line ${line} ` : ''}is longer than ${MAX_RECORD_BYTES} bytes (a field that large is a file without line ends or a quote that never closes): fix or remove it and send the file again`,
  );

export const tooLarge = (limit: number, size?: number) =>
  tooLargeInput(`the upload${size === undefined ? '' : ` of ${size} bytes`} is larger than the bulk limit of ${limit} bytes (WHOHAD_BULK_LIMIT_BYTES): split the file`);

/**
 * Counts bytes against the limit and refuses what is not UTF-8 text: a UTF-16 or UTF-32 byte
 * order mark, or NUL bytes at the start (UTF-16 without a mark, or a binary file). A UTF-8 byte
 * order mark passes (the CSV reader drops it).
 */
export class UploadGuard extends Transform {
  bytes = 0;
  private head = Buffer.alloc(0);

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) return done(tooLarge(this.limit));
    if (this.head.length < 4096) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, 4096)]);
      const why = notUtf8(this.head);
      if (why) return done(badInput(why));
    }
    done(null, chunk);
  }
}

function notUtf8(b: Buffer): string | null {
  const advice = 'save the file as UTF-8 (in a spreadsheet: "CSV UTF-8")';
  if (b.length >= 4 && ((b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) || (b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff))) {
    return `the file is UTF-32 (byte order mark): ${advice}`;
  }
  if (b.length >= 2 && ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff))) return `the file is UTF-16 (byte order mark ${b[0] === 0xff ? 'FF FE' : 'FE FF'}): ${advice}`;
  if (b.subarray(0, 4096).includes(0)) return `the file contains NUL bytes (UTF-16 without a byte order mark, or not text): ${advice}`;
  return null;
}

/**
 * Opens an uploaded CSV: reads it through the guard and csv-parse (quoted fields, CRLF or LF,
 * a UTF-8 byte order mark), maps the header, and hands back the data rows as a stream. What
 * makes the whole file unusable (empty, no header, wrong encoding, over the limit before the
 * header) is a bad_input or too_large DomainError; what spoils a single record is that record's SkippedRecord.
 */
export async function openBulkInput(source: Readable, limitBytes: number): Promise<BulkInput> {
  const guard = new UploadGuard(limitBytes);
  // over-long records never reach csv-parse: the splitter puts a marker record in their place
  // (a random value no upload can hold), which becomes that row's error
  const marker = `whohad-skipped-${randomBytes(16).toString('hex')}`;
  const skipped: RowError[] = [];
  const splitter = new RecordSplitter(MAX_RECORD_BYTES, marker, skipped);
  // set should csv-parse still meet an over-long record (the splitter and it disagreeing on where
  // records end): csv-parse then reads no later row correctly, so the file stops there, said
  // plainly in one last row, rather than lose rows
  let stopped = false;
  const stop = (err: { lines?: number }) => {
    if (stopped) return;
    stopped = true;
    parser.push(new SkippedRecord({ code: 'upload_incomplete', message: `${recordTooLong(err.lines).message}; rows after this one were not read` }));
    source.unpipe(guard);
    splitter.unpipe(parser);
    source.resume();
    parser.end();
  };
  // the records csv-parse gives are string[], or a SkippedRecord in a marker's place
  const options: Options<InputRecord, string[]> = {
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: MAX_RECORD_BYTES,
    on_record: (record) => {
      if (stopped) return null;
      if (record.length === 1 && record[0] === marker) return new SkippedRecord(skipped.shift()!);
      return record;
    },
    // a record csv-parse cannot read is not dropped: it becomes a row of its own, in its place
    on_skip: (err) => {
      if (stopped) return;
      if (err?.code === 'CSV_MAX_RECORD_SIZE') stop(err as { lines?: number });
      else parser.push(new SkippedRecord({ code: 'csv_syntax', message: err?.message ?? 'unreadable CSV record' }));
      return undefined;
    },
  };
  const parser: Parser = parse(options as Options);
  let broken: Error | null = null;
  const fail = (err: Error) => {
    if (broken) return;
    broken = err;
    source.unpipe(guard);
    // the rest of an over-limit or broken upload is read and dropped, so the answer can still be sent
    source.resume();
    parser.destroy(err);
  };
  finished(source, (err) => {
    if (err && !source.readableEnded) fail(badInput(`the upload broke off: ${err.message}`));
  });
  guard.on('error', fail);
  source.pipe(guard).pipe(splitter).pipe(parser);

  const it = parser[Symbol.asyncIterator]() as AsyncIterator<InputRecord>;
  let first: IteratorResult<InputRecord>;
  try {
    first = await it.next();
  } catch (err) {
    if (isInputError(err)) throw err;
    throw badInput(`the file cannot be read as CSV: ${(err as Error).message}`);
  }
  if (first.done) throw badInput('the file is empty: send a header line naming the columns (e.g. "id,ip,port,timestamp") and one row per look-up');
  if (first.value instanceof SkippedRecord) {
    const code = first.value.error.code;
    if (stopped || code === 'record_too_long' || code === 'upload_incomplete') throw tooLargeInput(`the header line: ${recordTooLong().message}`);
    throw badInput(`the header line cannot be read as CSV: ${first.value.error.message}`);
  }
  const header = mapHeader(first.value);
  if (!header.ok) {
    fail(badInput(header.reason));
    throw badInput(header.reason);
  }

  async function* rows(): AsyncGenerator<InputRecord> {
    try {
      for (;;) {
        let next: IteratorResult<InputRecord>;
        try {
          next = await it.next();
        } catch (err) {
          const message = isInputError(err) ? err.message : `the upload could not be read on: ${(err as Error).message}`;
          yield new SkippedRecord({ code: 'upload_incomplete', message: `${message}; rows after this one were not read` });
          return;
        }
        if (next.done) return;
        yield next.value;
      }
    } finally {
      if (!parser.destroyed) parser.destroy();
    }
  }
  return { columns: header.columns, rows: rows(), bytes: () => guard.bytes };
}
