import type { AccessLog } from '../audit/log.js';
import { DomainError } from '../core/domain-error.js';
import type { BulkJobStore, StoredJob } from './jobs.js';

/** Who downloads: the token's holder and where from (the job's owner, checked by the caller). */
export interface Downloader {
  user: string;
  tokenId: string;
  client: string;
}

/**
 * Records a download of a job's answer (result or summary) as one disclosure, before any of it
 * leaves: who, which job, under which case, legal basis and purpose (the job's), how many
 * subjects, and every subject the answer names, so each subject's view of the access log finds
 * the download. If the record cannot be written nothing is sent (503).
 */
export async function recordDownload(log: AccessLog, store: BulkJobStore, job: StoredJob, who: Downloader, route: string): Promise<void> {
  try {
    const subjects = await store.subjects(job.job);
    await log.append({
      kind: 'bulk', time: new Date().toISOString(), user: who.user, tokenId: who.tokenId, client: who.client,
      case: job.owner?.case ?? null, legalBasis: job.owner?.legalBasis ?? null, purpose: job.owner?.purpose ?? null,
      route, query: { job: job.job }, status: 'downloaded', disclosed: subjects,
      details: { job: job.job, subjects: subjects.length, rows: job.rows, mode: job.mode },
    });
  } catch {
    throw new DomainError('access_log_unavailable', 'the access log could not be written, so nothing is disclosed; try again shortly');
  }
}
