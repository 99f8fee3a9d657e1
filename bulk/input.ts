import { randomBytes } from 'node:crypto';
import { finished, type Readable } from 'node:stream';
import { mapHeader, type ColumnMap } from './header.js';
import { badInput, isInputError, MAX_RECORD_BYTES, recordTooLong, tooLargeInput } from './input-errors.js';
import { RecordReader, SkippedRecord, type InputRecord } from './reader.js';
import { RecordSplitter } from './records.js';
import type { RowError } from './row.js';
import { UploadGuard } from './upload-guard.js';

export { badInput, isInputError, MAX_RECORD_BYTES, recordTooLong, tooLarge } from './input-errors.js';
export { UploadGuard } from './upload-guard.js';
export { SkippedRecord, type InputRecord } from './reader.js';

export interface BulkInput {
  columns: ColumnMap;
  /**
   * The data rows after the header, in the groups they were read in (never empty). Ends early
   * (a final SkippedRecord says why) when the upload breaks off.
   */
  rows: AsyncIterable<InputRecord[]>;
  /** Bytes read so far. */
  bytes(): number;
}

/**
 * Opens an uploaded CSV: reads it through the guard, the record splitter and the record reader
 * (quoted fields, CRLF or LF, a UTF-8 byte order mark), maps the header, and hands back the
 * data rows as a stream of groups. What makes the whole file unusable (empty, no header, wrong
 * encoding, over the limit before the header) is a bad_input or too_large DomainError; what
 * spoils a single record is that record's SkippedRecord.
 */
export async function openBulkInput(source: Readable, limitBytes: number): Promise<BulkInput> {
  // a problem found once rows are being answered ends the rows read before it with one last row
  // saying so; found before the header was read, it refuses the file (below)
  const guard = new UploadGuard(limitBytes, { onProblem: 'end' });
  // over-long records never reach the reader: the splitter puts a marker record in their place
  // (a random value no upload can hold), which becomes that row's error
  const marker = `whohad-skipped-${randomBytes(16).toString('hex')}`;
  const skipped: RowError[] = [];
  const splitter = new RecordSplitter(MAX_RECORD_BYTES, marker, skipped);
  const reader = new RecordReader(() => splitter.lineEnding, marker, skipped);
  let broken: Error | null = null;
  const fail = (err: Error) => {
    if (broken) return;
    broken = err;
    source.unpipe(guard);
    // the rest of an over-limit or broken upload is read and dropped, so the answer can still be sent
    source.resume();
    splitter.destroy(err);
  };
  finished(source, (err) => {
    if (err && !source.readableEnded) fail(badInput(`the upload broke off: ${err.message}`));
  });
  guard.on('error', fail);
  source.pipe(guard).pipe(splitter);

  const chunks = splitter[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  /** The next group of records; empty only at the end. */
  const next = async (): Promise<InputRecord[]> => {
    for (;;) {
      const c = await chunks.next();
      if (c.done) return [];
      const out: InputRecord[] = [];
      reader.read(c.value, out);
      if (out.length > 0) return out;
    }
  };
  let first: InputRecord[];
  try {
    first = await next();
  } catch (err) {
    if (isInputError(err)) throw err;
    throw badInput(`the file cannot be read as CSV: ${(err as Error).message}`);
  }
  if (guard.stopped) {
    splitter.destroy();
    throw guard.stopped;
  }
  if (first.length === 0) throw badInput('the file is empty: send a header line naming the columns (e.g. "id,ip,port,timestamp") and one row per look-up');
  const head = first[0];
  if (head instanceof SkippedRecord) {
    const code = head.error.code;
    if (code === 'record_too_long' || code === 'upload_incomplete') throw tooLargeInput(`the header line: ${recordTooLong().message}`);
    throw badInput(`the header line cannot be read as CSV: ${head.error.message}`);
  }
  const header = mapHeader(head);
  if (!header.ok) {
    fail(badInput(header.reason));
    throw badInput(header.reason);
  }

  async function* rows(): AsyncGenerator<InputRecord[]> {
    try {
      if (first.length > 1) yield first.slice(1);
      for (;;) {
        let group: InputRecord[];
        try {
          group = await next();
        } catch (err) {
          const message = isInputError(err) ? err.message : `the upload could not be read on: ${(err as Error).message}`;
          yield [new SkippedRecord({ code: 'upload_incomplete', message: `${message}; rows after this one were not read` })];
          return;
        }
        if (group.length === 0) {
          if (guard.stopped) yield [new SkippedRecord({ code: 'upload_incomplete', message: `${guard.stopped.message}; rows after this one were not read` })];
          return;
        }
        yield group;
      }
    } finally {
      if (!splitter.destroyed) splitter.destroy();
    }
  }
  return { columns: header.columns, rows: rows(), bytes: () => guard.bytes };
}
