/**
 * A cell a spreadsheet would execute (it starts with `=`, `+`, `-` or `@`, also after blanks,
 * or with a tab or carriage return) gets a leading `'`, which spreadsheets show as text (OWASP
 * "CSV injection"): a log line an attacker wrote must not run on the investigator's PC. Every
 * CSV whohad writes (bulk answers, access-log exports) goes through this.
 *
 * A cell with line breaks is neutralised line by line too: a reader that takes a bare CR or LF
 * as the end of a row (or a user pasting the cell) would otherwise start a row with a live
 * formula. Writers must also quote every cell containing CR or LF (CSV_QUOTED_MATCH).
 */
const FORMULA = /^[\t\r]|^\s*[=+\-@]/;
/** After a CR or LF: blanks other than line breaks, then a trigger; or a tab. Linear: no nested repetition. */
const LINE_FORMULA = /([\r\n])(?=[^\S\r\n]*[=+\-@]|\t)/g;

export function neutralise(cell: string): string {
  const safe = FORMULA.test(cell) ? `'${cell}` : cell;
  return safe.includes('\n') || safe.includes('\r') ? safe.replace(LINE_FORMULA, "$1'") : safe;
}

/** For csv-stringify's `quoted_match`: a cell with any line break is quoted, not only one with the record delimiter. */
export const CSV_QUOTED_MATCH = /[\r\n]/;
