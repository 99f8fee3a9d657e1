import { randomBytes } from 'node:crypto';
import { finished, type Readable } from 'node:stream';
import { parse, type Options, type Parser } from 'csv-parse';
import { mapHeader, type ColumnMap } from './header.js';
import { badInput, isInputError, MAX_RECORD_BYTES, recordTooLong, tooLargeInput } from './input-errors.js';
import { RecordSplitter } from './records.js';
import type { RowError } from './row.js';
import { UploadGuard } from './upload-guard.js';

export { badInput, isInputError, MAX_RECORD_BYTES, recordTooLong, tooLarge } from './input-errors.js';
export { UploadGuard } from './upload-guard.js';

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

/**
 * Opens an uploaded CSV: reads it through the guard and csv-parse (quoted fields, CRLF or LF,
 * a UTF-8 byte order mark), maps the header, and hands back the data rows as a stream. What
 * makes the whole file unusable (empty, no header, wrong encoding, over the limit before the
 * header) is a bad_input or too_large DomainError; what spoils a single record is that record's SkippedRecord.
 */
export async function openBulkInput(source: Readable, limitBytes: number): Promise<BulkInput> {
  // a problem found once rows are being answered ends the rows read before it with one last row
  // saying so; found before the header was read, it refuses the file (below)
  const guard = new UploadGuard(limitBytes, { onProblem: 'end' });
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
  if (guard.stopped) {
    parser.destroy();
    throw guard.stopped;
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
        if (next.done) {
          if (guard.stopped) yield new SkippedRecord({ code: 'upload_incomplete', message: `${guard.stopped.message}; rows after this one were not read` });
          return;
        }
        yield next.value;
      }
    } finally {
      if (!parser.destroyed) parser.destroy();
    }
  }
  return { columns: header.columns, rows: rows(), bytes: () => guard.bytes };
}
