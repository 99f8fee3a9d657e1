import { parse, type CsvError } from 'csv-parse/sync';
import { MAX_RECORD_BYTES } from './input-errors.js';
import type { RowError } from './row.js';

/** A record the CSV reader could not read (bad quoting, far too long); it still gets its output row. */
export class SkippedRecord {
  constructor(readonly error: RowError) {}
}

export type InputRecord = string[] | SkippedRecord;

const QUOTE = 0x22;
const COMMA = 0x2c;

/**
 * Turns whole records (as `RecordSplitter` hands them on: every chunk ends where a record
 * ends) into cells, reading them as csv-parse does with the options bulk always used (a UTF-8
 * byte order mark dropped, blank lines skipped, relaxed quotes and column counts).
 *
 * Most log lines hold no quote: those are split at commas here, on one decoded string per
 * chunk. A record with a quote goes to csv-parse itself, alone, so quoted fields, `""`,
 * line breaks inside quotes and a quote that never closes read exactly as before; its line
 * numbers are moved to where the record stands in the file.
 */
export class RecordReader {
  /** CR and LF characters read before the chunk being read: csv-parse counts a line at each. */
  private breaks = 0;
  private first = true;

  constructor(
    /** The file's line end once known (the splitter decides it); `\n` until then. */
    private readonly delimiter: () => string | null,
    private readonly marker: string,
    /** Why each marker stands where it does, in order. */
    private readonly skipped: RowError[],
  ) {}

  read(chunk: Buffer, out: InputRecord[]): void {
    const delim = this.delimiter() ?? '\n';
    let s = chunk.toString('utf8');
    if (this.first && s.length > 0) {
      this.first = false;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    const n = s.length;
    // the next quote at or after `at` (-1: none in the rest of the chunk), looked for again only once passed
    let quote = chunk.indexOf(QUOTE) === -1 ? -1 : s.indexOf('"');
    let at = 0;
    // line breaks are counted only as far as a quoted record needs, then once for the rest
    let breaks = this.breaks;
    let counted = 0;
    while (at < n) {
      if (quote !== -1 && quote < at) quote = s.indexOf('"', at);
      let end = lineEnd(s, at, delim);
      if (quote !== -1 && quote < end) {
        end = recordEnd(s, at, delim);
        breaks += breaksIn(s, counted, at);
        counted = at;
        this.quoted(s.slice(at, end === n ? n : end + delim.length), delim, breaks, out);
      } else if (end > at) this.plain(s, at, end, out);
      at = end === n ? n : end + delim.length;
    }
    this.breaks = breaks + breaksIn(s, counted, n);
  }

  private plain(s: string, from: number, to: number, out: InputRecord[]) {
    const cells: string[] = [];
    let start = from;
    for (let i = s.indexOf(',', from); i !== -1 && i < to; i = s.indexOf(',', i + 1)) {
      cells.push(s.slice(start, i));
      start = i + 1;
    }
    cells.push(s.slice(start, to));
    if (cells.length === 1 && cells[0] === this.marker) out.push(new SkippedRecord(this.skipped.shift()!));
    else out.push(cells);
  }

  /** `before`: line breaks in the file before the record, to say where csv-parse's line numbers stand. */
  private quoted(text: string, delim: string, before: number, out: InputRecord[]) {
    parse(text, {
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      max_record_size: MAX_RECORD_BYTES,
      record_delimiter: delim,
      on_record: (record: string[]) => {
        out.push(record);
        return null;
      },
      on_skip: (err: CsvError | undefined) => {
        const lines = (err as { lines?: number } | undefined)?.lines;
        const message = err?.message ?? 'unreadable CSV record';
        out.push(new SkippedRecord({ code: 'csv_syntax', message: lines === undefined ? message : message.replace(/at line \d+/, `at line ${before + lines}`) }));
        return undefined;
      },
    });
  }
}

function lineEnd(s: string, from: number, delim: string): number {
  const i = s.indexOf(delim, from);
  return i === -1 ? s.length : i;
}

/** Where the record starting at `from` ends, by csv-parse's relaxed rules: quotes open only at a field's start. */
function recordEnd(s: string, from: number, delim: string): number {
  const n = s.length;
  const d0 = delim.charCodeAt(0);
  let fieldStart = true;
  let quoting = false;
  let i = from;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (quoting) {
      if (c === QUOTE) {
        if (s.charCodeAt(i + 1) === QUOTE) i += 2;
        else {
          quoting = false;
          i++;
        }
      } else i++;
      continue;
    }
    if (c === QUOTE && fieldStart) {
      quoting = true;
      fieldStart = false;
      i++;
      continue;
    }
    if (c === d0 && (delim.length === 1 || s.startsWith(delim, i))) return i;
    fieldStart = c === COMMA;
    i++;
  }
  return n;
}

/** CR and LF characters in s[from, to): csv-parse's line count moves on at each, inside quotes too, and twice at a CRLF. */
function breaksIn(s: string, from: number, to: number): number {
  let k = 0;
  for (let i = s.indexOf('\n', from); i !== -1 && i < to; i = s.indexOf('\n', i + 1)) k++;
  for (let i = s.indexOf('\r', from); i !== -1 && i < to; i = s.indexOf('\r', i + 1)) k++;
  return k;
}
