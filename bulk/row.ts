import type { DomainError } from '../core/domain-error.js';
import { normaliseQuery, type NormalisedQuery } from '../resolver/query.js';
import type { ColumnMap } from './header.js';

/** Why a row could not be asked: a short code for the summary's counts and the text for the row. */
export interface RowError {
  code: RowErrorCode;
  message: string;
}

/** The query's own codes (core/domain-error.ts) and those of the file around it. */
export type RowErrorCode =
  | 'bad_ip' | 'bad_port' | 'bad_time' | 'bad_tz' | 'bad_tolerance' | 'column_count' | 'csv_syntax' | 'record_too_long' | 'store_unavailable' | 'upload_incomplete';

export interface RowDefaults {
  tz?: string;
  tolerance?: number;
}

export type RowQuery = { ok: true; query: NormalisedQuery } | { ok: false; error: RowError };

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const TIME_ONLY = /^\d{2}:\d{2}(:\d{2}([.,]\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;

/**
 * The look-up a row asks for, read by the same normaliser as `GET /v1/attribution` and
 * `whohad resolve`, so the resolver gives each row the answer the single look-up gives. What is
 * the file's own convention stays here: cells are trimmed (spreadsheets pad them), an empty
 * port or "-" is none, and a date and a time column are joined into one time.
 */
export function rowToQuery(cells: string[], columns: ColumnMap, defaults: RowDefaults): RowQuery {
  if (cells.length !== columns.names.length) {
    return {
      ok: false,
      error: {
        code: 'column_count',
        message: `the row has ${cells.length} fields and the header ${columns.names.length}${cells.length > columns.names.length ? ' (an unquoted comma in a field?)' : ''}`,
      },
    };
  }
  let port: string | undefined;
  if (columns.port !== null) {
    const p = cells[columns.port].trim();
    if (p !== '' && p !== '-') port = p;
  }

  let at: string;
  let joinError: RowError | null = null;
  if ('at' in columns.time) at = cells[columns.time.at].trim();
  else {
    const d = cells[columns.time.date].trim();
    const t = cells[columns.time.time].trim();
    at = `${d}T${t}`;
    if (!DATE_ONLY.test(d) || !TIME_ONLY.test(t)) {
      joinError = { code: 'bad_time', message: `date ${JSON.stringify(d)} and time ${JSON.stringify(t)} do not make a time (expected 2026-10-25 and 02:30:00)` };
    }
  }
  const rowTz = columns.tz === null ? '' : cells[columns.tz].trim();
  const r = normaliseQuery({ ip: cells[columns.ip].trim(), port, at, tz: rowTz !== '' ? rowTz : defaults.tz, tolerance: defaults.tolerance });
  if (joinError) {
    // the address and port are reported first, as for a row with one time column
    const first = r.ok ? undefined : r.errors.find((e) => e.field === 'ip' || e.field === 'port');
    return { ok: false, error: first ? rowError(first) : joinError };
  }
  return r.ok ? r : { ok: false, error: rowError(r.errors[0]) };
}

/**
 * A query problem as a row's reason. The code already names the column, so an address is named
 * by its cell's value alone; the other fields keep their name, as the single look-up says them.
 */
export function rowError(e: DomainError): RowError {
  return { code: e.code as RowErrorCode, message: e.field === 'ip' ? e.message : e.text };
}
