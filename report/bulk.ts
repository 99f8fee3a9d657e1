import { createHash } from 'node:crypto';
import { auditPage } from '../audit/read.js';
import type { AuditRecord } from '../audit/log.js';
import type { BulkJobStore, JobState } from '../bulk/jobs.js';
import type { ResultFiles } from '../bulk/result-files.js';
import type { BulkFormat } from '../bulk/run.js';
import type { RedisClient } from '../redis/cluster.js';
import type { BulkReportPart } from '../schemas/report.js';

/** Who uploaded a job and why, as its own access-log records say. */
export interface BulkGrounds {
  user: string | null;
  case: string | null;
  legalBasis: string | null;
  purpose: string | null;
}

const PAGE = 500;
/** Records are written within the job's run; a second either side covers clock rounding. */
const SLACK_MS = 1000;

/** The access-log records a job wrote while it disclosed rows, oldest first. */
async function jobRecords(redis: RedisClient, state: JobState): Promise<AuditRecord[]> {
  const from = Date.parse(state.createdAt) - SLACK_MS;
  const to = Date.parse(state.finishedAt ?? state.updatedAt) + SLACK_MS;
  const out: AuditRecord[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await auditPage(redis, { from, to, limit: PAGE, before });
    // the rows' own records, not those of reports handed out about the job since
    for (const r of page.records) if (r.kind === 'bulk' && r.query?.job === state.job && Array.isArray(r.query.rows)) out.push(r);
    if (page.next === null) break;
    before = page.next;
  }
  return out.reverse();
}

/** SHA-256 and length of a kept result, read chunk by chunk as a download would send it. */
async function resultDigest(files: ResultFiles, job: string, format: BulkFormat): Promise<{ sha256: string; bytes: number } | null> {
  const text = await files.reader(job, format);
  // kept by another instance's data directory (or swept): the report says it has no digest
  if (!text) return null;
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of text) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, 'utf8');
    bytes += b.length;
    h.update(b);
  }
  return { sha256: h.digest('hex'), bytes };
}

async function keptResult(files: ResultFiles, state: JobState) {
  const digest = await resultDigest(files, state.job, state.format);
  return digest ? { format: state.format, ...digest } : null;
}

/**
 * The bulk part of a report for a finished job: its counts, the corroboration table, a digest
 * of the kept result (so a downloaded file can be tied to the report), and the access-log
 * records its rows were disclosed under.
 */
export async function bulkReportPart(redis: RedisClient, store: BulkJobStore, files: ResultFiles, state: JobState): Promise<{ part: BulkReportPart; grounds: BulkGrounds }> {
  let text = '';
  for await (const piece of store.summaryDocument(state)) text += piece;
  const summary = JSON.parse(text) as { corroboration: BulkReportPart['corroboration'] };
  const records = await jobRecords(redis, state);
  const first = records[0];
  const counts = state.summary!;
  return {
    part: {
      job: { id: state.job, mode: state.mode, state: state.state, format: state.format, createdAt: state.createdAt, finishedAt: state.finishedAt },
      summary: { rows: counts.rows, byStatus: counts.byStatus, byReason: counts.byReason, subscribers: counts.subscribers, complete: counts.complete },
      corroboration: summary.corroboration.map((c) => ({ subscriberId: c.subscriberId, uniqueRows: c.uniqueRows, candidateRows: c.candidateRows, first: c.first, last: c.last })),
      result: state.mode === 'async' ? await keptResult(files, state) : null,
      records: records.map((r) => ({
        chain: r.chain, seq: r.seq, hash: r.hash, time: r.time,
        rows: (r.query?.rows as number[] | undefined) ?? [],
        disclosed: r.disclosed,
      })),
    },
    grounds: { user: first?.user ?? null, case: first?.case ?? null, legalBasis: first?.legalBasis ?? null, purpose: first?.purpose ?? null },
  };
}
