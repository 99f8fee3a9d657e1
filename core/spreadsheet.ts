/**
 * A cell a spreadsheet would execute (it starts with `=`, `+`, `-` or `@`, also after blanks,
 * or with a tab or carriage return) gets a leading `'`, which spreadsheets show as text (OWASP
 * "CSV injection"): a log line an attacker wrote must not run on the investigator's PC. Every
 * CSV whohad writes (bulk answers, access-log exports) goes through this.
 *
 * A cell with line breaks is neutralised line by line too: a reader that takes a bare CR or LF
 * as the end of a row (or a user pasting the cell) would otherwise start a row with a live
 * formula. Writers must also quote every cell containing CR or LF (CSV_QUOTED_MATCH, csvField).
 */
const FORMULA = /^[\t\r]|^\s*[=+\-@]/;
/** After a CR or LF: blanks other than line breaks, then a trigger; or a tab. Linear: no nested repetition. */
const LINE_FORMULA = /([\r\n])(?=[^\S\r\n]*[=+\-@]|\t)/g;

/** A first character that is neither a blank nor a trigger: printable ASCII from `.` on, but `=` and `@`. */
const safeStart = (c: number) => c >= 0x2e && c <= 0x7e && c !== 0x3d && c !== 0x40;

export function neutralise(cell: string): string {
  // most cells (addresses, times, ids) start with a digit or a letter: no pattern runs on them
  const safe = cell === '' || safeStart(cell.charCodeAt(0)) || !FORMULA.test(cell) ? cell : `'${cell}`;
  return safe.includes('\n') || safe.includes('\r') ? safe.replace(LINE_FORMULA, "$1'") : safe;
}

/** For csv-stringify's `quoted_match`: a cell with any line break is quoted, not only one with the record delimiter. */
export const CSV_QUOTED_MATCH = /[\r\n]/;

/**
 * One CSV field as csv-stringify writes it with CSV_QUOTED_MATCH: quoted when it holds a comma,
 * a quote or any line break, its quotes doubled. The cell must be neutralised already.
 */
export function csvField(cell: string): string {
  if (cell.includes('"')) return `"${cell.replaceAll('"', '""')}"`;
  return cell.includes(',') || cell.includes('\n') || cell.includes('\r') ? `"${cell}"` : cell;
}
