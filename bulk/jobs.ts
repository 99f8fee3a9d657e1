import { randomBytes } from 'node:crypto';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { DomainError } from '../core/domain-error.js';
import { isRedisFull, refusalsOf } from '../redis/errors.js';
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

/** Who made a job and why: only this token sees the job, and every download repeats the why. */
export interface JobOwner {
  tokenId: string;
  user: string;
  case: string | null;
  legalBasis: string | null;
  purpose: string | null;
}

/** A job as stored: its public state, its owner, and the instance whose data directory holds the result. */
export interface StoredJob extends JobState {
  owner: JobOwner | null;
  instance: string | null;
}

/**
 * Keys of a job, all in one hash slot (`{<job>}`): the state hash and the corroboration table as
 * a list of JSON fragments. The result itself is a file (ResultFiles), never in Redis: a big
 * result must not fill the memory the time index and the access log need.
 */
export const jobKeys = {
  job: (id: string) => `bulk:{${id}}:job`,
  table: (id: string) => `bulk:{${id}}:corr`,
};

/**
 * Keys per token, in the token's own slot: its running jobs (sorted set, job -> lease end in ms)
 * and the results it keeps (hash, job -> "compressed bytes, expiry in ms").
 */
export const tokenKeys = {
  running: (tokenId: string) => `bulk:{tok:${tokenId}}:running`,
  stored: (tokenId: string) => `bulk:{tok:${tokenId}}:stored`,
};

/** How long a running job's lease lasts without renewal: a job whose instance stopped is failed after this. */
export const LEASE_MS = 60_000;

/** What a reader says of a job left `running` whose lease has lapsed. */
export const STOPPED =
  'the job stopped before its end: its service instance stopped, or Redis refused its writes (full or unreachable); upload the file again';

/**
 * The store's failures in words the caller can act on: Redis full (also when it shows only as a
 * discarded MULTI) is a store_unavailable (503), not an internal error; any other refusal is
 * handed on as the command's own error rather than the EXECABORT that hides it.
 */
export function storeError(err: unknown): unknown {
  if (isRedisFull(err)) {
    return new DomainError('store_unavailable', 'Redis is full (maxmemory reached) and refused the write, so nothing was disclosed or kept; try again once an operator has freed memory');
  }
  return refusalsOf(err)[0];
}

async function exec(m: ChainableCommander): Promise<void> {
  try {
    await m.exec();
  } catch (err) {
    throw storeError(err);
  }
}

/** Thrown when a token has as many jobs running as it may (429). */
export class JobLimitError extends Error {}

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

  /**
   * Takes one of the token's running-job places for `id`, for LEASE_MS (renew keeps it); throws
   * JobLimitError when the token already runs `limit` jobs. Places of jobs whose instance
   * stopped renewing fall free by themselves.
   */
  async reserve(tokenId: string, id: string, limit: number): Promise<void> {
    const key = tokenKeys.running(tokenId);
    const now = Date.now();
    let replies: Array<[Error | null, unknown]> | null;
    try {
      replies = await this.redis.multi().zremrangebyscore(key, '-inf', now).zadd(key, now + LEASE_MS, id).zcard(key).pexpire(key, LEASE_MS * 2).exec();
    } catch (err) {
      throw storeError(err);
    }
    let running = Number(replies?.[2]?.[1] ?? 0);
    if (running > limit) running = 1 + (await this.othersRunning(key, id));
    if (running > limit) {
      await this.redis.zrem(key, id);
      throw new JobLimitError(`this token already runs ${running - 1} bulk jobs, as many as it may (WHOHAD_BULK_MAX_RUNNING=${limit}): wait for one to end`);
    }
  }

  /**
   * A job is marked ended before its place is given back (the two live in different slots, and a
   * reader takes a running job without a place for a failed one), so a caller told `done` may ask
   * again in between: places whose jobs have ended are not counted, and go. Returns how many
   * other jobs hold a place now (read afresh: a place may have been given back meanwhile).
   */
  private async othersRunning(key: string, asking: string): Promise<number> {
    const ids = (await this.redis.zrange(key, '0', '-1')).filter((j) => j !== asking);
    const states = await Promise.all(ids.map((j) => this.redis.hget(jobKeys.job(j), 'state')));
    const ended = ids.filter((_, i) => states[i] === 'done' || states[i] === 'failed');
    if (ended.length > 0) await this.redis.zrem(key, ...ended);
    return ids.length - ended.length;
  }

  /** Extends the leases of jobs this instance is still running. */
  async renew(tokenId: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const key = tokenKeys.running(tokenId);
    const until = Date.now() + LEASE_MS;
    const m = this.redis.multi();
    for (const id of ids) m.zadd(key, 'XX', until, id);
    await exec(m.pexpire(key, LEASE_MS * 2));
  }

  /** Gives the place back. ZREM needs no memory, so this works even when Redis is full. */
  async release(tokenId: string, id: string): Promise<void> {
    await this.redis.zrem(tokenKeys.running(tokenId), id);
  }

  /** Compressed bytes of the results the token keeps now (expired entries are dropped on the way). */
  async storedBytes(tokenId: string): Promise<number> {
    const key = tokenKeys.stored(tokenId);
    const all = await this.redis.hgetall(key);
    const now = Date.now();
    let sum = 0;
    const gone: string[] = [];
    for (const [job, v] of Object.entries(all)) {
      const [bytes, until] = v.split(' ').map(Number);
      if (until <= now) gone.push(job);
      else sum += bytes;
    }
    if (gone.length > 0) await this.redis.hdel(key, ...gone);
    return sum;
  }

  async create(id: string, init: { mode: JobMode; format: BulkFormat; total: number | null; bytes: number; owner: JobOwner; instance: string }): Promise<void> {
    const now = iso(Date.now());
    const o = init.owner;
    await exec(
      this.redis
        .multi()
        .hset(jobKeys.job(id), {
          job: id, mode: init.mode, state: 'running', format: init.format, rows: 0, total: init.total ?? '', bytes: init.bytes,
          createdAt: now, updatedAt: now, instance: init.instance,
          owner: o.tokenId, user: o.user, case: o.case ?? '', legalBasis: o.legalBasis ?? '', purpose: o.purpose ?? '',
        })
        .expire(jobKeys.job(id), this.ttlS),
    );
  }

  /** Records how many rows are answered so far. */
  async progress(id: string, rows: number, bytes: number): Promise<void> {
    await exec(this.redis.multi().hset(jobKeys.job(id), { rows, bytes, updatedAt: iso(Date.now()) }).expire(jobKeys.job(id), this.ttlS));
  }

  /** Books a finished job's result file against its token's stored bytes until it expires. */
  async keepResult(tokenId: string, id: string, bytes: number): Promise<void> {
    const key = tokenKeys.stored(tokenId);
    await exec(this.redis.multi().hset(key, id, `${bytes} ${Date.now() + this.ttlS * 1000}`).pexpire(key, this.ttlS * 1000 + LEASE_MS));
  }

  /** Stores the summary (the table in fragments of `per` subscribers), marks the job done and starts the TTL anew. */
  async finish(id: string, summary: SummaryAccumulator, per = 2000): Promise<void> {
    const key = jobKeys.table(id);
    await this.redis.del(key);
    let batch: string[] = [];
    const flush = async () => {
      await exec(this.redis.multi().rpush(key, batch.join(',')).expire(key, this.ttlS));
      batch = [];
    };
    for (const c of summary.table()) {
      batch.push(JSON.stringify(c));
      if (batch.length === per) await flush();
    }
    if (batch.length > 0) await flush();
    const counts = summary.counts();
    const end = Date.now();
    await exec(
      this.redis
        .multi()
        .hset(jobKeys.job(id), {
          state: 'done', rows: counts.rows, total: counts.rows, summary: JSON.stringify(counts),
          updatedAt: iso(end), finishedAt: iso(end), expiresAt: iso(end + this.ttlS * 1000),
        })
        .expire(jobKeys.job(id), this.ttlS)
        .expire(key, this.ttlS),
    );
  }

  /**
   * Marks the job failed. When Redis is full that write is refused too; the job then still reads
   * as failed, because its lease (released by the caller, which needs no memory) has lapsed.
   */
  async fail(id: string, error: string, rows: number): Promise<void> {
    const end = Date.now();
    await exec(
      this.redis
        .multi()
        .hset(jobKeys.job(id), { state: 'failed', error, rows, updatedAt: iso(end), finishedAt: iso(end), expiresAt: iso(end + this.ttlS * 1000) })
        .expire(jobKeys.job(id), this.ttlS),
    );
  }

  async get(id: string): Promise<StoredJob | null> {
    const h = await this.redis.hgetall(jobKeys.job(id));
    if (!h.job) return null;
    const owner: JobOwner | null = h.owner
      ? { tokenId: h.owner, user: h.user ?? '', case: h.case || null, legalBasis: h.legalBasis || null, purpose: h.purpose || null }
      : null;
    const job: StoredJob = {
      job: h.job,
      mode: h.mode as JobMode,
      state: h.state as JobStateName,
      format: h.format === 'ndjson' ? 'ndjson' : 'csv',
      rows: Number(h.rows ?? 0),
      total: h.total ? Number(h.total) : null,
      bytes: Number(h.bytes ?? 0),
      createdAt: h.createdAt,
      updatedAt: h.updatedAt,
      finishedAt: h.finishedAt ?? null,
      expiresAt: h.expiresAt ?? null,
      error: h.error ?? null,
      summary: h.summary ? (JSON.parse(h.summary) as SummaryCounts) : null,
      owner,
      instance: h.instance ?? null,
    };
    if (job.state === 'running' && owner) {
      const until = await this.redis.zscore(tokenKeys.running(owner.tokenId), id);
      if (until === null || Number(until) <= Date.now()) {
        // the job may have ended between the two reads (its state is written before its lease is given back)
        if ((await this.redis.hget(jobKeys.job(id), 'state')) !== 'running') return this.get(id);
        Object.assign(job, { state: 'failed', error: STOPPED });
      }
    }
    return job;
  }

  /** The distinct subscribers a finished job's answer names (its corroboration table). */
  async subjects(id: string): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; ; i++) {
      const part = await this.redis.lindex(jobKeys.table(id), i);
      if (part === null) return out;
      for (const c of JSON.parse(`[${part}]`) as Array<{ subscriberId: string }>) out.push(c.subscriberId);
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
