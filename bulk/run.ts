import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import type { NormalisedQuery } from '../resolver/query.js';
import type { CompactAnswer } from '../resolver/resolve.js';
import type { AttributionAnswer } from '../schemas/attribution.js';
import type { ColumnMap } from './header.js';
import { SkippedRecord, type InputRecord } from './reader.js';
import { csvHeader, csvLine, csvRecord, ndjsonRecord, type ResultRow } from './output.js';
import { rowToQuery, type RowDefaults } from './row.js';
import type { SummaryAccumulator } from './summary.js';

/**
 * The resolver as bulk uses it: a batch of queries, an answer for each in the same order, each
 * the answer `GET /v1/attribution` gives. One failure fails the batch (its rows then say so).
 */
export type Resolve = (queries: NormalisedQuery[]) => Promise<AttributionAnswer[]>;
/** The same look-ups answered in compact form (`compactOf` of each answer), for a CSV answer. */
export type ResolveCompact = (queries: NormalisedQuery[]) => Promise<CompactAnswer[]>;
export type BulkFormat = 'csv' | 'ndjson';

/** Writes the access-log record of a batch of rows; the rows are disclosed only after it resolves. */
export type BatchRecorder = (rows: ResultRow[]) => Promise<void>;

/** Most rows a resolver call gets: enough for few calls, few enough for memory and a short call. */
export const MAX_BATCH_ROWS = 512;
export const MIN_BATCH_ROWS = 64;
/** Batches resolved at once: one is answered while the next is looked up. */
export const BATCHES_IN_FLIGHT = 2;
/** Rows being looked up at once, at most. */
export const DEFAULT_WINDOW = MAX_BATCH_ROWS * BATCHES_IN_FLIGHT;
/**
 * How long one batch's look-up may take before the next batch is made smaller: a batch is read
 * in a few script calls (`Resolver.resolveMany`), and a long one would make a single look-up
 * asked meanwhile wait behind it.
 */
export const BATCH_TARGET_MS = 25;

export interface AnswerOptions {
  columns: ColumnMap;
  resolve: Resolve;
  /**
   * Given, rows are resolved with it rather than `resolve`: a CSV answer prints only what the
   * compact form holds, and building every full answer (its evidence, its dates) would cost more
   * than the look-ups.
   */
  resolveCompact?: ResolveCompact;
  defaults: RowDefaults;
  summary: SummaryAccumulator;
  record: BatchRecorder;
  maxBatchRows?: number;
  targetMs?: number;
}

/** The batch size, halved after a batch that took longer than the target and grown back after quick ones. */
export class BatchSizer {
  size: number;
  constructor(private readonly max = MAX_BATCH_ROWS, private readonly min = Math.min(MIN_BATCH_ROWS, max), private readonly targetMs = BATCH_TARGET_MS) {
    this.size = max;
  }
  took(ms: number, rows: number): void {
    if (rows < this.size) return;
    if (ms > this.targetMs) this.size = Math.max(this.min, this.size >> 1);
    else if (ms < this.targetMs / 2) this.size = Math.min(this.max, this.size * 2);
  }
}

/**
 * Resolves every data row with the one resolver the single look-up uses, a batch of rows a
 * call, two batches in flight, and hands on each batch in input order once the access log
 * holds its record and the summary has counted it. A row that cannot be read, or whose
 * look-up fails, becomes an `error` row in its place: the output has one row per input row.
 */
export async function* answerRows(groups: AsyncIterable<InputRecord[]>, o: AnswerOptions): AsyncGenerator<ResultRow[]> {
  const sizer = new BatchSizer(o.maxBatchRows ?? MAX_BATCH_ROWS, undefined, o.targetMs ?? BATCH_TARGET_MS);
  const it = groups[Symbol.asyncIterator]();
  let waiting: Promise<IteratorResult<InputRecord[]>> | null = it.next();
  let held: InputRecord[] = [];
  let heldAt = 0;
  let n = 0;
  const inFlight: Array<{ rows: Promise<ResultRow[]> }> = [];
  const start = () => {
    const take = Math.min(sizer.size, held.length - heldAt);
    const recs = held.slice(heldAt, heldAt + take);
    heldAt += take;
    const t0 = performance.now();
    const entry = { rows: resolveBatch(recs, n + 1, o) };
    entry.rows.then(
      () => sizer.took(performance.now() - t0, recs.length),
      () => undefined,
    );
    n += take;
    inFlight.push(entry);
  };
  const finish = async (): Promise<ResultRow[]> => {
    const rows = await inFlight.shift()!.rows;
    await o.record(rows);
    for (const r of rows) {
      o.summary.add(r);
      if (r.error?.code === 'upload_incomplete') o.summary.complete = false;
    }
    return rows;
  };
  try {
    for (;;) {
      while (inFlight.length < BATCHES_IN_FLIGHT && heldAt < held.length) start();
      if (waiting && heldAt >= held.length && inFlight.length < BATCHES_IN_FLIGHT) {
        // nothing read is waiting: read on, but answer a finished batch first if one is (a client
        // that waits for its first answers before it sends more must get them)
        const next = waiting;
        const got = inFlight.length === 0 ? await next : await Promise.race([next, inFlight[0].rows.then(() => null)]);
        if (got === null) {
          yield await finish();
          continue;
        }
        waiting = null;
        if (got.done) continue;
        held = got.value;
        heldAt = 0;
        waiting = it.next();
        continue;
      }
      if (inFlight.length === 0) break;
      yield await finish();
    }
  } finally {
    await it.return?.();
  }
}

/**
 * Rows of one batch, each asked as it stands: identical rows are not merged here, the resolver
 * shares what it reads for one address itself (and a failure or a count of calls stays the
 * rows' own).
 */
async function resolveBatch(recs: InputRecord[], firstRow: number, o: AnswerOptions): Promise<ResultRow[]> {
  const out: ResultRow[] = new Array(recs.length);
  const queries: NormalisedQuery[] = [];
  const asked: ResultRow[] = [];
  for (let i = 0; i < recs.length; i++) {
    const rec = recs[i];
    const row = firstRow + i;
    if (rec instanceof SkippedRecord) {
      out[i] = { row, cells: [], answer: null, error: rec.error };
      continue;
    }
    const q = rowToQuery(rec, o.columns, o.defaults);
    if (!q.ok) {
      out[i] = { row, cells: rec, answer: null, error: q.error };
      continue;
    }
    const r: ResultRow = { row, cells: rec, answer: null, error: null };
    out[i] = r;
    queries.push(q.query);
    asked.push(r);
  }
  if (queries.length === 0) return out;
  try {
    if (o.resolveCompact) {
      const answers = await o.resolveCompact(queries);
      for (let k = 0; k < asked.length; k++) asked[k].compact = answers[k];
    } else {
      const answers = await o.resolve(queries);
      for (let k = 0; k < asked.length; k++) asked[k].answer = answers[k];
    }
  } catch (err) {
    // the queries were read already, so what fails here is the store
    const error = { code: 'store_unavailable' as const, message: `the look-up failed (${(err as Error).message}): ask this row again` };
    for (const r of asked) r.error = error;
  }
  return out;
}

/** A batch as text: CSV records (formulas neutralised, CRLF-ended) or NDJSON lines. */
export function batchText(rows: ResultRow[], columns: ColumnMap, format: BulkFormat): string {
  let text = '';
  if (format === 'ndjson') for (const r of rows) text += ndjsonRecord(r, columns.keys);
  else for (const r of rows) text += csvLine(csvRecord(r, columns.names.length));
  return text;
}

/**
 * The answer as text, a batch at a time (CSV with the header line first, or NDJSON), in chunks
 * of `chunkChars` (the last one shorter). One pipeline, so destroying the returned stream (a
 * client that went away) ends the batch generator too, and its `finally` runs.
 */
export function encodeBatches(batches: AsyncIterable<ResultRow[]>, columns: ColumnMap, format: BulkFormat, chunkChars: number): Readable {
  const text = Readable.from(
    (async function* () {
      if (format === 'csv') yield csvLine(csvHeader(columns.names));
      for await (const rows of batches) yield batchText(rows, columns, format);
    })(),
    { objectMode: false },
  );
  return pipeline(text, new Rechunk(chunkChars), () => undefined);
}

/**
 * Cuts text into chunks of `size` characters: small pieces joined (fewer, larger writes to a file
 * or a socket), a large one (a whole batch's answer) cut, so that a socket's queue grows by at most
 * one chunk past its limit before the pipeline waits for the client.
 */
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
      const all = this.parts.join('');
      let at = 0;
      while (all.length - at >= this.size) {
        let end = at + this.size;
        // never between the two halves of a character beyond the BMP: each chunk is encoded on its own
        const last = all.charCodeAt(end - 1);
        if (last >= 0xd800 && last <= 0xdbff) end--;
        this.push(all.slice(at, end));
        at = end;
      }
      this.parts = at < all.length ? [all.slice(at)] : [];
      this.length = all.length - at;
    }
    done();
  }
  override _flush(done: TransformCallback) {
    if (this.length > 0) this.push(this.parts.join(''));
    done();
  }
}
