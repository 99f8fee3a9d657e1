import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import { stringify } from 'csv-stringify';
import { CSV_QUOTED_MATCH } from '../core/spreadsheet.js';
import type { NormalisedQuery } from '../resolver/query.js';
import type { AttributionAnswer } from '../schemas/attribution.js';
import type { ColumnMap } from './header.js';
import { SkippedRecord, type InputRecord } from './input.js';
import { mapOrdered } from './ordered.js';
import { csvHeader, csvRecord, ndjsonRecord, type ResultRow } from './output.js';
import { rowToQuery, type RowDefaults } from './row.js';
import type { SummaryAccumulator } from './summary.js';

export type Resolve = (q: NormalisedQuery) => Promise<AttributionAnswer>;
export type BulkFormat = 'csv' | 'ndjson';

/** Rows in flight at once: enough for the auto-pipelined client to fill big pipelines, few enough to keep memory flat. */
export const DEFAULT_WINDOW = 512;

/**
 * Resolves every data row with the one resolver the single look-up uses, `window` rows in
 * flight, answers in input order. A row that cannot be read, or whose look-up fails, becomes
 * an `error` row in its place: the output has exactly one row per input row.
 */
export function resolveRows(rows: AsyncIterable<InputRecord>, columns: ColumnMap, resolve: Resolve, defaults: RowDefaults, window = DEFAULT_WINDOW): AsyncGenerator<ResultRow> {
  // identical look-ups in flight at the same time (one connection's many requests in one second) share one answer
  const inFlight = new Map<string, Promise<AttributionAnswer>>();
  const ask = (q: NormalisedQuery): Promise<AttributionAnswer> => {
    const key = `${q.ip}|${q.port}|${q.at}|${q.tz ?? ''}|${q.tolerance ?? ''}`;
    let p = inFlight.get(key);
    if (!p) {
      p = resolve(q);
      inFlight.set(key, p);
      const drop = () => void inFlight.delete(key);
      p.then(drop, drop);
    }
    return p;
  };
  let n = 0;
  const one = async (rec: InputRecord): Promise<ResultRow> => {
    const row = ++n;
    if (rec instanceof SkippedRecord) return { row, cells: [], answer: null, error: rec.error };
    const q = rowToQuery(rec, columns, defaults);
    if (!q.ok) return { row, cells: rec, answer: null, error: q.error };
    try {
      return { row, cells: rec, answer: await ask(q.query), error: null };
    } catch (err) {
      // the query was read already, so what fails here is the store
      const message = (err as Error).message;
      return { row, cells: rec, answer: null, error: { code: 'store_unavailable', message: `the look-up failed (${message}): ask this row again` } };
    }
  };
  return mapOrdered(rows, one, window);
}

/** Feeds every row to the summary on its way through. */
export async function* counted(rows: AsyncIterable<ResultRow>, summary: SummaryAccumulator): AsyncGenerator<ResultRow> {
  for await (const r of rows) {
    summary.add(r);
    if (r.error?.code === 'upload_incomplete') summary.complete = false;
    yield r;
  }
}

/**
 * Result rows as text in chunks of about `chunkChars`: CSV (input header plus the result
 * columns, formulas neutralised, by csv-stringify) or NDJSON. One pipeline, so destroying the
 * returned stream (a client that went away) ends the row generator too, and its `finally` runs.
 */
export function encodeRows(rows: AsyncIterable<ResultRow>, columns: ColumnMap, format: BulkFormat, chunkChars: number): Readable {
  const width = columns.names.length;
  const done = () => undefined;
  if (format === 'ndjson') {
    const lines = Readable.from(
      (async function* () {
        for await (const r of rows) yield ndjsonRecord(r, columns.keys);
      })(),
      { objectMode: false },
    );
    return pipeline(lines, new Rechunk(chunkChars), done);
  }
  const records = Readable.from(
    (async function* () {
      yield csvHeader(columns.names);
      for await (const r of rows) yield csvRecord(r, width);
    })(),
  );
  return pipeline(records, stringify({ record_delimiter: '\r\n', quoted_match: CSV_QUOTED_MATCH }), new Rechunk(chunkChars), done);
}

/** Joins small pieces of text into chunks of about `size` bytes (fewer, larger writes to Redis or a socket). */
export class Rechunk extends Transform {
  private parts: string[] = [];
  private length = 0;
  constructor(private readonly size: number) {
    super({ decodeStrings: false, encoding: 'utf8' });
  }
  override _transform(chunk: Buffer | string, _enc: BufferEncoding, done: TransformCallback) {
    const s = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    this.parts.push(s);
    this.length += s.length;
    if (this.length >= this.size) {
      this.push(this.parts.join(''));
      this.parts = [];
      this.length = 0;
    }
    done();
  }
  override _flush(done: TransformCallback) {
    if (this.length > 0) this.push(this.parts.join(''));
    done();
  }
}
