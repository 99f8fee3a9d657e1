import { canonicalIp } from '../core/ip.js';
import type { Query } from '../resolver/resolve.js';
import type { ColumnMap } from './header.js';

/** Why a row could not be asked: a short code for the summary's counts and the text for the row. */
export interface RowError {
  code: RowErrorCode;
  message: string;
}

export type RowErrorCode =
  | 'bad_ip' | 'bad_port' | 'bad_time' | 'bad_tz' | 'column_count' | 'csv_syntax' | 'store_unavailable' | 'upload_incomplete';

export interface RowDefaults {
  tz?: string;
  tolerance?: number;
}

export type RowQuery = { ok: true; query: Query } | { ok: false; error: RowError };

const PORT = /^\d{1,5}$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const TIME_ONLY = /^\d{2}:\d{2}(:\d{2}([.,]\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;

/**
 * The look-up a row asks for, built exactly as `GET /v1/attribution` builds it (the address
 * canonical, the port a whole number, an empty port is none), so the resolver gives each row
 * the answer the single look-up gives. Problems the resolver finds itself (a time it cannot
 * read, an unknown zone) are left to it and come back as its QueryError.
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
  const ipText = cells[columns.ip].trim();
  if (ipText === '') return { ok: false, error: { code: 'bad_ip', message: 'the address is empty' } };
  const ip = canonicalIp(ipText);
  if (!ip) return { ok: false, error: { code: 'bad_ip', message: `${JSON.stringify(ipText)} is not an IPv4 or IPv6 address` } };

  let port: number | null = null;
  if (columns.port !== null) {
    const p = cells[columns.port].trim();
    if (p !== '' && p !== '-') {
      if (!PORT.test(p) || Number(p) > 65535) return { ok: false, error: { code: 'bad_port', message: `port ${JSON.stringify(p)} is not a whole number from 0 to 65535` } };
      port = Number(p);
    }
  }

  let at: string;
  if ('at' in columns.time) at = cells[columns.time.at].trim();
  else {
    const d = cells[columns.time.date].trim();
    const t = cells[columns.time.time].trim();
    if (!DATE_ONLY.test(d) || !TIME_ONLY.test(t)) {
      return { ok: false, error: { code: 'bad_time', message: `date ${JSON.stringify(d)} and time ${JSON.stringify(t)} do not make a time (expected 2026-10-25 and 02:30:00)` } };
    }
    at = `${d}T${t}`;
  }
  if (at === '') return { ok: false, error: { code: 'bad_time', message: 'the time is empty' } };

  const rowTz = columns.tz === null ? '' : cells[columns.tz].trim();
  const query: Query = { ip, port, at };
  const tz = rowTz !== '' ? rowTz : defaults.tz;
  if (tz !== undefined) query.tz = tz;
  if (defaults.tolerance !== undefined) query.tolerance = defaults.tolerance;
  return { ok: true, query };
}

/** The code for a resolver's QueryError message (they start with the parameter they are about). */
export function queryErrorCode(message: string): RowErrorCode {
  return message.startsWith('tz:') ? 'bad_tz' : 'bad_time';
}
