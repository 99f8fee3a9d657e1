import type { AttributionAnswer, Status } from '../schemas/attribution.js';
import { compactOf, type CompactAnswer } from '../resolver/resolve.js';
import type { RowError } from './row.js';
import { csvField, neutralise } from '../core/spreadsheet.js';
import { isoMs } from '../core/time.js';

/** The columns whohad appends to the input's own. */
export const RESULT_COLUMNS = ['status', 'subscriber_id', 'candidates', 'reasons', 'instants_utc', 'evidence'] as const;

export type RowStatus = Status | 'error';

/** One row of the answer: the input's cells and what the look-up found (or why it could not be made). */
export interface ResultRow {
  /** 1-based number of the data row (the header is row 0). */
  row: number;
  cells: string[];
  /** The full answer (NDJSON shows it); null for a CSV answer, which needs only `compact`. */
  answer: AttributionAnswer | null;
  /** What the CSV, the summary and the access log read of the answer; taken from `answer` when absent. */
  compact?: CompactAnswer | null;
  error: RowError | null;
}

/** The row's answer in compact form, null for an error row. */
export function rowResult(r: ResultRow): CompactAnswer | null {
  if (r.compact) return r.compact;
  return r.answer ? (r.compact = compactOf(r.answer)) : null;
}

/** Error reasons are `code: message`; `;` separates reasons, so a message must not carry one. */
export function errorReason(e: RowError): string {
  return `${e.code}: ${e.message.replace(/;/g, ',')}`;
}

/** The six result cells, in RESULT_COLUMNS order. */
export function resultCells(r: ResultRow): string[] {
  const a = rowResult(r);
  if (!a) return ['error', '', '', errorReason(r.error!), '', ''];
  return [
    a.status,
    a.subscriberId ?? '',
    a.candidates.join(';'),
    a.reasons.join(';'),
    a.instants.map(isoMs).join(';'),
    a.evidence.join(';'),
  ];
}

/** The CSV record: input cells (padded or cut to the header's width) then the result cells, all neutralised. */
export function csvRecord(r: ResultRow, width: number): string[] {
  const out: string[] = new Array(width + RESULT_COLUMNS.length);
  for (let i = 0; i < width; i++) out[i] = neutralise(r.cells[i] ?? '');
  const res = resultCells(r);
  for (let i = 0; i < res.length; i++) out[width + i] = neutralise(res[i]);
  return out;
}

export function csvHeader(names: string[]): string[] {
  return [...names.map(neutralise), ...RESULT_COLUMNS];
}

/** A CSV record as text, CRLF-ended: the cells as csv-stringify would write them. */
export function csvLine(cells: string[]): string {
  let line = csvField(cells[0]);
  for (let i = 1; i < cells.length; i++) line += `,${csvField(cells[i])}`;
  return `${line}\r\n`;
}

/**
 * The NDJSON line: exact values (JSON is not opened by spreadsheets, so nothing is altered),
 * the input keyed by column name, the same result fields as the CSV, and the full answer.
 */
export function ndjsonRecord(r: ResultRow, keys: string[]): string {
  // defined, not assigned: a column named `__proto__` is data like any other, not the object's prototype
  const input: Record<string, string> = Object.fromEntries(keys.map((k, i) => [k, r.cells[i] ?? '']));
  const a = r.answer;
  // the compact form the summary already took (rowResult keeps it): sorted ids, evidence references
  const c = a ? rowResult(r)! : null;
  const line = a && c
    ? {
        row: r.row, input, status: a.status, subscriberId: a.subscriberId,
        candidates: c.candidates, reasons: a.reasons,
        instantsUtc: a.instants.map((i) => i.utc), evidence: c.evidence, answer: a,
      }
    : { row: r.row, input, status: 'error', subscriberId: null, candidates: [], reasons: [errorReason(r.error!)], instantsUtc: [], evidence: [], answer: null };
  return `${JSON.stringify(line)}\n`;
}
