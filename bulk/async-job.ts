import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { badInput, isInputError, openBulkInput, UploadGuard } from './input.js';
import type { BulkJobStore, JobOwner, JobState } from './jobs.js';
import type { Leases } from './leases.js';
import type { ResultFiles, ResultWriter } from './result-files.js';
import type { RowDefaults } from './row.js';
import { answerRows, encodeBatches, type BatchRecorder, type BulkFormat, type Resolve, type ResolveCompact } from './run.js';
import { SummaryAccumulator } from './summary.js';

/** The access-log record of each batch of a job, written before the batch is stored. */
export type JobRecorder = (job: string) => BatchRecorder;

/** Size of the result chunks written to the result file. */
export const RESULT_CHUNK_CHARS = 256 * 1024;

/** Thrown when a token keeps as many result bytes as it may (507). */
export class StorageQuotaError extends Error {}

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
  files: ResultFiles;
  leases: Leases;
  resolve: Resolve;
  /** Resolves the rows of a CSV answer (run.ts `AnswerOptions.resolveCompact`); absent: `resolve`. */
  resolveCompact?: ResolveCompact;
  /** How long a batch's look-up may take before batches get smaller (BATCH_TARGET_MS by default). */
  batchTargetMs?: number;
  limitBytes: number;
  /** Compressed result bytes a token may keep at once (WHOHAD_BULK_MAX_STORED_BYTES). */
  maxStoredBytes: number;
  /** This instance's name, kept with the job: its data directory holds the result. */
  instance: string;
  spoolDir?: string;
  /** Awaited after each stored chunk; for progress listeners (and tests that look mid-job). */
  onProgress?: (job: string, rows: number) => Promise<void> | void;
}

const over = (limit: number) =>
  `the results this token keeps would pass ${limit} compressed bytes (WHOHAD_BULK_MAX_STORED_BYTES): download what you need, wait for older results to expire, or split the file`;

/**
 * The asynchronous variant. The token must have a running-job place free (429) and room for
 * results (507); the upload is spooled to a local file (so the request ends as soon as the
 * bytes are in), checked (encoding, limit, header) before the 202, then resolved in the
 * background into a gzip file under the data directory. Job state lives in Redis; the spool
 * file is removed when the job ends.
 */
export class AsyncJobs {
  private readonly running = new Map<string, { abort: AbortController; done: Promise<void> }>();

  constructor(private readonly deps: AsyncJobDeps) {}

  async start(upload: Readable, defaults: RowDefaults, format: BulkFormat, owner: JobOwner, record: JobRecorder = () => async () => undefined): Promise<JobState> {
    const { store, leases, limitBytes, maxStoredBytes } = this.deps;
    const id = store.newId();
    const spool = join(this.deps.spoolDir ?? tmpdir(), `whohad-bulk-${id}.csv`);
    const guard = new UploadGuard(limitBytes);
    const counter = new LineCounter();
    let reading = false;
    try {
      await leases.take(owner.tokenId, id);
      const kept = await store.storedBytes(owner.tokenId);
      if (kept >= maxStoredBytes) throw new StorageQuotaError(`${over(maxStoredBytes)} (it keeps ${kept} now)`);
      reading = true;
      await pipeline(upload, guard, counter, createWriteStream(spool, { mode: 0o600 }));
      reading = false;
      const input = await openBulkInput(createReadStream(spool), limitBytes);
      await store.create(id, { mode: 'async', format, total: counter.dataLines(), bytes: guard.bytes, owner, instance: this.deps.instance });
      const abort = new AbortController();
      const done = this.run(id, input, defaults, format, owner, kept, abort.signal, record(id)).finally(() => {
        this.running.delete(id);
        return rm(spool, { force: true });
      });
      this.running.set(id, { abort, done });
    } catch (err) {
      await rm(spool, { force: true });
      await leases.give(id);
      // refused before reading: the rest of the upload is read and dropped, so the answer can be sent
      if (!reading && !upload.readableEnded) upload.resume();
      if (reading && !isInputError(err) && !upload.readableEnded) throw badInput(`the upload broke off: ${(err as Error).message}`);
      throw err;
    }
    return (await store.get(id))!;
  }

  private async run(
    id: string, input: Awaited<ReturnType<typeof openBulkInput>>, defaults: RowDefaults, format: BulkFormat, owner: JobOwner, kept: number,
    signal: AbortSignal, record: BatchRecorder,
  ) {
    const { store, files, leases, maxStoredBytes } = this.deps;
    const summary = new SummaryAccumulator();
    let out: ResultWriter | null = null;
    try {
      out = await files.writer(id, format);
      const rows = answerRows(input.rows, { columns: input.columns, resolve: this.deps.resolve, resolveCompact: format === 'csv' ? this.deps.resolveCompact : undefined, defaults, summary, record, targetMs: this.deps.batchTargetMs });
      const text = encodeBatches(rows, input.columns, format, RESULT_CHUNK_CHARS);
      for await (const chunk of text) {
        if (signal.aborted) {
          text.destroy();
          throw new Error('the service stopped before the job ended; upload the file again');
        }
        await out.write(chunk as string);
        if (kept + out.bytes > maxStoredBytes) {
          text.destroy();
          throw new StorageQuotaError(over(maxStoredBytes));
        }
        await store.progress(id, summary.rows, input.bytes());
        await this.deps.onProgress?.(id, summary.rows);
      }
      const bytes = await out.commit();
      out = null;
      await store.keepResult(owner.tokenId, id, bytes);
      await store.finish(id, summary);
      await leases.give(id);
    } catch (err) {
      await out?.discard();
      await files.remove(id, format);
      // when Redis is full this write is refused, and the lease given back next (which needs no
      // memory) is what makes readers see the job failed
      await store.fail(id, (err as Error).message, summary.rows).catch(() => undefined);
      await leases.give(id);
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
