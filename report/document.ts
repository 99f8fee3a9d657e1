import type { AttributionAnswer, AttributionQuery } from '../schemas/attribution.js';
import { REPORT_FORMAT, type BulkReportPart, type Report, type SourceFreshnessEntry } from '../schemas/report.js';
import { contentHashOf } from './canonical.js';
import { softwareVersion } from './version.js';

/** What every report says besides its answer: when, by what, for whom, why, and how fresh the data was. */
export interface ReportContext {
  madeAt: string;
  requester: Report['requester'];
  grounds: Report['grounds'];
  sources: SourceFreshnessEntry[];
}

export type ReportContent = Omit<Report, 'accessLog'>;

const head = (kind: Report['kind'], ctx: ReportContext) => ({
  format: REPORT_FORMAT as typeof REPORT_FORMAT,
  kind,
  madeAt: ctx.madeAt,
  software: softwareVersion(),
  requester: ctx.requester,
  grounds: ctx.grounds,
  sources: ctx.sources,
});

/** One look-up: the question as asked (raw time text, zone, tolerance) and the whole answer with its evidence. */
export function lookupContent(ctx: ReportContext, question: AttributionQuery, answer: AttributionAnswer): ReportContent {
  // the question keeps only what was asked: an absent parameter stays absent
  const asked = Object.fromEntries(Object.entries(question).filter(([, v]) => v !== undefined)) as AttributionQuery;
  return { ...head('lookup', ctx), lookup: { question: asked, answer } };
}

export function bulkContent(ctx: ReportContext, bulk: BulkReportPart): ReportContent {
  return { ...head('bulk', ctx), bulk };
}

/** The access-log record that holds this content's hash, named in the report. */
export interface RecordReference {
  chain: string;
  seq: number;
  hash: string;
}

export function withAccessLog(content: ReportContent, record: RecordReference): Report {
  return { ...content, accessLog: { chain: record.chain, seq: record.seq, hash: record.hash, reportContentHash: contentHashOf(content) } };
}
