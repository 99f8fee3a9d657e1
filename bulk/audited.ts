import type { AccessLog, AuditEntry } from '../audit/log.js';
import { rowResult, type ResultRow } from './output.js';
import type { BatchRecorder } from './run.js';

/** Who asks for a bulk job and why: the access-log fields every record of the job repeats. */
export type BulkAsker = Pick<AuditEntry, 'user' | 'tokenId' | 'client' | 'case' | 'legalBasis' | 'purpose'>;

/**
 * The access-log record of each batch of resolved rows (job, row range, every subscriber the
 * batch disclosed), written before the batch moves on, so the per-subscriber view answers for
 * bulk look-ups too. If the record cannot be written the answer fails and nothing more is
 * disclosed.
 */
export function batchRecorder(log: AccessLog, job: string, asker: BulkAsker): BatchRecorder {
  return async (rows: ResultRow[]) => {
    const disclosed = new Set<string>();
    for (const r of rows) for (const id of rowResult(r)?.candidates ?? []) disclosed.add(id);
    await log.append({
      kind: 'bulk', time: new Date().toISOString(), ...asker, route: 'POST /v1/attribution/bulk',
      query: { job, rows: [rows[0].row, rows[rows.length - 1].row] }, status: `${rows.length} rows`, disclosed: [...disclosed].sort(),
    });
  };
}
