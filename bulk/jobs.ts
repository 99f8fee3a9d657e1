import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { BulkFormat } from './run.js';
import type { SummaryAccumulator, SummaryCounts } from './summary.js';

export type JobMode = 'stream' | 'async';
export type JobStateName = 'running' | 'done' | 'failed';

export interface JobState {
  job: string;
  mode: JobMode;
  state: JobStateName;
  format: BulkFormat;
  rows: number;
  total: number | null;
  bytes: number;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  expiresAt: string | null;
  error: string | null;
  summary: SummaryCounts | null;
}

/**
 * Keys of a job, all in one hash slot (`{<job>}`): the state hash, the result as a list of
 * text chunks (async jobs), and the corroboration table as a list of JSON fragments.
 */
export const jobKeys = {
  job: (id: string) => `bulk:{${id}}:job`,
  result: (id: string) => `bulk:{${id}}:out`,
  table: (id: string) => `bulk:{${id}}:corr`,
};

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Job state and results in Redis, so any service instance can report progress and serve a
 * download, and everything a job leaves expires `ttlS` after its last write.
 */
export class BulkJobStore {
  constructor(
    private readonly redis: Redis | Cluster,
    readonly ttlS: number,
  ) {}

  newId(): string {
    return randomBytes(12).toString('base64url');
  }

  async create(id: string, init: { mode: JobMode; format: BulkFormat; total: number | null; bytes: number }): Promise<void> {
    const now = iso(Date.now());
    await this.redis
      .multi()
      .hset(jobKeys.job(id), {
        job: id, mode: init.mode, state: 'running', format: init.format, rows: 0, total: init.total ?? '', bytes: init.bytes,
        createdAt: now, updatedAt: now,
      })
      .expire(jobKeys.job(id), this.ttlS)
      .exec();
  }

  async progress(id: string, rows: number, bytes: number): Promise<void> {
    await this.redis.multi().hset(jobKeys.job(id), { rows, bytes, updatedAt: iso(Date.now()) }).expire(jobKeys.job(id), this.ttlS).exec();
  }

  /** Appends a chunk of the result and records how many rows are answered so far. */
  async append(id: string, chunk: string, rows: number, bytes: number): Promise<void> {
    await this.redis
      .multi()
      .rpush(jobKeys.result(id), chunk)
      .expire(jobKeys.result(id), this.ttlS)
      .hset(jobKeys.job(id), { rows, bytes, updatedAt: iso(Date.now()) })
      .expire(jobKeys.job(id), this.ttlS)
      .exec();
  }

  /** Stores the summary (the table in fragments of `per` subscribers), marks the job done and starts the TTL anew. */
  async finish(id: string, summary: SummaryAccumulator, per = 2000): Promise<void> {
    const key = jobKeys.table(id);
    await this.redis.del(key);
    let batch: string[] = [];
    const flush = async () => {
      await this.redis.multi().rpush(key, batch.join(',')).expire(key, this.ttlS).exec();
      batch = [];
    };
    for (const c of summary.table()) {
      batch.push(JSON.stringify(c));
      if (batch.length === per) await flush();
    }
    if (batch.length > 0) await flush();
    const counts = summary.counts();
    const end = Date.now();
    await this.redis
      .multi()
      .hset(jobKeys.job(id), {
        state: 'done', rows: counts.rows, total: counts.rows, summary: JSON.stringify(counts),
        updatedAt: iso(end), finishedAt: iso(end), expiresAt: iso(end + this.ttlS * 1000),
      })
      .expire(jobKeys.job(id), this.ttlS)
      .expire(jobKeys.result(id), this.ttlS)
      .expire(key, this.ttlS)
      .exec();
  }

  async fail(id: string, error: string, rows: number): Promise<void> {
    const end = Date.now();
    await this.redis
      .multi()
      .hset(jobKeys.job(id), { state: 'failed', error, rows, updatedAt: iso(end), finishedAt: iso(end), expiresAt: iso(end + this.ttlS * 1000) })
      .expire(jobKeys.job(id), this.ttlS)
      .del(jobKeys.result(id))
      .exec();
  }

  async get(id: string): Promise<JobState | null> {
    const h = await this.redis.hgetall(jobKeys.job(id));
    if (!h.job) return null;
    return {
      job: h.job,
      mode: h.mode as JobMode,
      state: h.state as JobStateName,
      format: h.format as BulkFormat,
      rows: Number(h.rows ?? 0),
      total: h.total ? Number(h.total) : null,
      bytes: Number(h.bytes ?? 0),
      createdAt: h.createdAt,
      updatedAt: h.updatedAt,
      finishedAt: h.finishedAt ?? null,
      expiresAt: h.expiresAt ?? null,
      error: h.error ?? null,
      summary: h.summary ? (JSON.parse(h.summary) as SummaryCounts) : null,
    };
  }

  /** The stored result, chunk by chunk (one chunk in memory at a time). */
  async *result(id: string): AsyncGenerator<string> {
    for (let i = 0; ; i++) {
      const chunk = await this.redis.lindex(jobKeys.result(id), i);
      if (chunk === null) return;
      yield chunk;
    }
  }

  /** The summary document as JSON text, streamed from the stored table. */
  async *summaryDocument(state: JobState): AsyncGenerator<string> {
    const head = JSON.stringify({ job: state.job, ...state.summary });
    yield `${head.slice(0, -1)},"corroboration":[`;
    for (let i = 0; ; i++) {
      const part = await this.redis.lindex(jobKeys.table(state.job), i);
      if (part === null) break;
      yield i === 0 ? part : `,${part}`;
    }
    yield ']}';
  }
}
