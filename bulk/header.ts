/**
 * Which input column holds what: the header line of an uploaded log names its columns, and
 * this maps those names (and their usual aliases) to the fields a look-up needs.
 */

export type Field = 'id' | 'ip' | 'port' | 'timestamp' | 'tz';

/** Accepted names per field, compared after `normalise` (lower case, `_` for any other character). */
export const ALIASES: Record<Field, readonly string[]> = {
  id: ['id', 'row_id', 'rowid', 'request_id', 'event_id', 'record_id', 'line_id', 'ref', 'reference'],
  ip: [
    'ip', 'src_ip', 'source_ip', 'srcip', 'sourceip', 'client_ip', 'clientip', 'remote_ip', 'remote_addr', 'remote_address',
    'ip_address', 'ipaddress', 'public_ip', 'src_addr', 'source_address', 'c_ip', 'x_src_ip',
  ],
  port: ['port', 'src_port', 'source_port', 'srcport', 'sourceport', 'sport', 'client_port', 'clientport', 'remote_port', 'c_port', 'x_src_port'],
  timestamp: [
    'timestamp', 'time', 'date', 'datetime', 'date_time', 'at', 'ts', 'when', 'event_time', 'time_utc', 'timestamp_utc',
    'logged_at', 'log_time', 'created_at', 'time_local',
  ],
  tz: ['tz', 'timezone', 'time_zone', 'zone'],
};

const BY_NAME = new Map<string, Field>();
for (const [field, names] of Object.entries(ALIASES) as Array<[Field, readonly string[]]>) for (const n of names) BY_NAME.set(n, field);

export function normalise(name: string): string {
  return name.replace(/^\uFEFF/, '').trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

export interface ColumnMap {
  /** The header as given, for the output's first columns. */
  names: string[];
  /** Unique, non-empty names for keyed output (NDJSON): duplicates get `_2`, empty ones `column_N`. */
  keys: string[];
  ip: number;
  /** Absent: every row is asked without a port (the answers then say `port_missing`). */
  port: number | null;
  /** The column with the whole time, or the `date` and `time` columns that together make it. */
  time: { at: number } | { date: number; time: number };
  id: number | null;
  tz: number | null;
}

export type HeaderResult = { ok: true; columns: ColumnMap } | { ok: false; reason: string };

/**
 * Whether a header cell is an address or a date rather than a name. Plain character checks, not
 * a regular expression with repetition: the cell is the uploader's and may be a megabyte long,
 * and a backtracking pattern on it blocks the service (`::::…g` took seconds at 80 KB).
 */
function looksLikeValue(cell: string): boolean {
  const c = cell.trim();
  return isDottedQuad(c) || isHexWithColons(c) || /^\d{4}-\d{2}-\d{2}/.test(c.slice(0, 10));
}

const isDigit = (code: number) => code >= 48 && code <= 57;

/** Four groups of 1-3 digits separated by dots. */
function isDottedQuad(c: string): boolean {
  if (c.length > 15) return false;
  const parts = c.split('.');
  return parts.length === 4 && parts.every((p) => p.length >= 1 && p.length <= 3 && [...p].every((ch) => isDigit(ch.charCodeAt(0))));
}

/** Only hex digits and colons, with a colon after the first character (an IPv6 address or a MAC). */
function isHexWithColons(c: string): boolean {
  if (c.length < 2 || c.indexOf(':', 1) < 0) return false;
  for (let i = 0; i < c.length; i++) {
    const code = c.charCodeAt(i) | 0x20;
    if (!(isDigit(code) || (code >= 97 && code <= 102) || code === 58)) return false;
  }
  return true;
}

const looksLikeData = (cells: string[]) => cells.some(looksLikeValue);

/**
 * Maps a header line. Two columns that both look like the same field are refused rather than
 * guessed: reading the wrong address column would attribute every row to the wrong subscriber.
 * The one combination accepted is separate `date` and `time` columns (W3C/IIS logs).
 */
export function mapHeader(cells: string[]): HeaderResult {
  const found = new Map<Field, number[]>();
  cells.forEach((cell, i) => {
    const field = BY_NAME.get(normalise(cell));
    if (field) found.set(field, [...(found.get(field) ?? []), i]);
  });
  const show = (idx: number[]) => idx.map((i) => JSON.stringify(cells[i])).join(' and ');
  const hint = `name the columns on the first line, e.g. "id,ip,port,timestamp" (aliases such as src_ip, source_port, time, date are accepted)`;
  if (!found.has('ip') || !found.has('timestamp')) {
    const missing = [!found.has('ip') && 'address column (ip, src_ip, client_ip, …)', !found.has('timestamp') && 'time column (timestamp, time, date, …)'].filter(Boolean).join(' and no ');
    const start = looksLikeData(cells) ? 'the first line looks like data, not a header' : `the header ${JSON.stringify(cells.slice(0, 12).join(','))} has no ${missing}`;
    return { ok: false, reason: `${start}: ${hint}` };
  }
  for (const field of ['ip', 'port', 'id', 'tz'] as const) {
    const idx = found.get(field) ?? [];
    if (idx.length > 1) return { ok: false, reason: `columns ${show(idx)} both look like the ${field} column: rename all but one` };
  }
  const timeIdx = found.get('timestamp')!;
  let time: ColumnMap['time'];
  if (timeIdx.length === 1) time = { at: timeIdx[0] };
  else {
    const date = timeIdx.filter((i) => normalise(cells[i]) === 'date');
    const tod = timeIdx.filter((i) => normalise(cells[i]) === 'time');
    if (timeIdx.length !== 2 || date.length !== 1 || tod.length !== 1) {
      return { ok: false, reason: `columns ${show(timeIdx)} all look like the time column: rename all but one (separate "date" and "time" columns are combined)` };
    }
    time = { date: date[0], time: tod[0] };
  }
  const seen = new Map<string, number>();
  const keys = cells.map((c, i) => {
    const base = c.replace(/^\uFEFF/, '').trim() || `column_${i + 1}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}_${n}`;
  });
  return {
    ok: true,
    columns: {
      names: cells,
      keys,
      ip: found.get('ip')![0],
      port: found.get('port')?.[0] ?? null,
      time,
      id: found.get('id')?.[0] ?? null,
      tz: found.get('tz')?.[0] ?? null,
    },
  };
}
