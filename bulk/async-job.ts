import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BulkInputError, openBulkInput, UploadGuard } from './input.js';
import type { BulkJobStore, JobState } from './jobs.js';
import type { RowDefaults } from './row.js';
import { counted, encodeRows, resolveRows, type BulkFormat, type Resolve } from './run.js';
import { SummaryAccumulator } from './summary.js';
import type { ResultRow } from './output.js';

/** A stage the resolved rows pass through before they are stored (the access log's). */
export type RowStage = (job: string, rows: AsyncIterable<ResultRow>) => AsyncIterable<ResultRow>;

/** Size of the result chunks stored in Redis. */
export const RESULT_CHUNK_CHARS = 256 * 1024;

/** Counts line ends on the way to the spool file, for the progress total. */
class LineCounter extends Transform {
  lines = 0;
  private last = 10;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.lines++;
    if (chunk.length > 0) this.last = chunk[chunk.length - 1];
    done(null, chunk);
  }
  /** Data lines: all lines (a last one without a line end counts) minus the header. */
  dataLines(): number {
    return Math.max(0, this.lines + (this.last === 10 ? 0 : 1) - 1);
  }
}

export interface AsyncJobDeps {
  store: BulkJobStore;
  resolve: Resolve;
  limitBytes: number;
  spoolDir?: string;
  /** Awaited after each stored chunk; for progress listeners (and tests that look mid-job). */
  onProgress?: (job: string, rows: number) => Promise<void> | void;
}

/**
 * The asynchronous variant. The upload is spooled to a local file (so the request ends as soon
 * as the bytes are in), checked (encoding, limit, header) before the 202, then resolved in the
 * background into Redis chunk by chunk. Job state and result live in Redis only; the spool
 * file is removed when the job ends.
 */
export class AsyncJobs {
  private readonly running = new Map<string, { abort: AbortController; done: Promise<void> }>();

  constructor(private readonly deps: AsyncJobDeps) {}

  async start(upload: Readable, defaults: RowDefaults, format: BulkFormat, stage: RowStage = (_job, rows) => rows): Promise<JobState> {
    const { store, limitBytes } = this.deps;
    const id = store.newId();
    const spool = join(this.deps.spoolDir ?? tmpdir(), `whohad-bulk-${id}.csv`);
    const guard = new UploadGuard(limitBytes);
    const counter = new LineCounter();
    try {
      await pipeline(upload, guard, counter, createWriteStream(spool, { mode: 0o600 }));
      const input = await openBulkInput(createReadStream(spool), limitBytes);
      await store.create(id, { mode: 'async', format, total: counter.dataLines(), bytes: guard.bytes });
      const abort = new AbortController();
      const done = this.run(id, input, defaults, format, abort.signal, stage).finally(() => {
        this.running.delete(id);
        return rm(spool, { force: true });
      });
      this.running.set(id, { abort, done });
    } catch (err) {
      await rm(spool, { force: true });
      if (err instanceof BulkInputError) throw err;
      if (!upload.readableEnded) throw new BulkInputError(400, `the upload broke off: ${(err as Error).message}`);
      throw err;
    }
    return (await store.get(id))!;
  }

  private async run(id: string, input: Awaited<ReturnType<typeof openBulkInput>>, defaults: RowDefaults, format: BulkFormat, signal: AbortSignal, stage: RowStage) {
    const { store } = this.deps;
    const summary = new SummaryAccumulator();
    try {
      const rows = stage(id, counted(resolveRows(input.rows, input.columns, this.deps.resolve, defaults), summary));
      const text = encodeRows(rows, input.columns, format, RESULT_CHUNK_CHARS);
      for await (const chunk of text) {
        if (signal.aborted) {
          text.destroy();
          throw new Error('the service stopped before the job ended; upload the file again');
        }
        await store.append(id, chunk as string, summary.rows, input.bytes());
        await this.deps.onProgress?.(id, summary.rows);
      }
      await store.finish(id, summary);
    } catch (err) {
      await store.fail(id, (err as Error).message, summary.rows).catch(() => undefined);
    }
  }

  /** Stops every job this instance runs (each ends `failed`, saying why) and waits for them. */
  async close(): Promise<void> {
    const all = [...this.running.values()];
    for (const j of all) j.abort.abort();
    await Promise.all(all.map((j) => j.done));
  }

  /** Resolves when the job (run by this instance) has ended; at once when it is not running here. */
  async settled(id: string): Promise<void> {
    await this.running.get(id)?.done;
  }
}
