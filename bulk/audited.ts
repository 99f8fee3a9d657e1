import type { AccessLog, AuditEntry } from '../audit/log.js';
import type { ResultRow } from './output.js';

/** Who asks for a bulk job and why: the access-log fields every record of the job repeats. */
export type BulkAsker = Pick<AuditEntry, 'user' | 'tokenId' | 'client' | 'case' | 'legalBasis' | 'purpose'>;

/** Rows per access-log record: each record names the subscribers its rows disclosed. */
export const ROWS_PER_RECORD = 256;

/**
 * Lets resolved rows through only after the access log holds a record of them: each chunk of
 * rows gets one record (job, row range, every subscriber the chunk disclosed), written before
 * the chunk moves on, so the per-subscriber view answers for bulk look-ups too. If the record
 * cannot be written the stream fails and nothing more is disclosed.
 */
export async function* audited(rows: AsyncIterable<ResultRow>, log: AccessLog, job: string, asker: BulkAsker): AsyncGenerator<ResultRow> {
  let chunk: ResultRow[] = [];
  const flush = async () => {
    const disclosed = new Set<string>();
    for (const r of chunk) for (const c of r.answer?.candidates ?? []) disclosed.add(c.subscriberId);
    await log.append({
      kind: 'bulk', time: new Date().toISOString(), ...asker, route: 'POST /v1/attribution/bulk',
      query: { job, rows: [chunk[0].row, chunk[chunk.length - 1].row] }, status: `${chunk.length} rows`, disclosed: [...disclosed].sort(),
    });
  };
  for await (const r of rows) {
    chunk.push(r);
    if (chunk.length === ROWS_PER_RECORD) {
      await flush();
      yield* chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) {
    await flush();
    yield* chunk;
  }
}
