/**
 * A cell a spreadsheet would execute (it starts with `=`, `+`, `-` or `@`, also after blanks,
 * or with a tab or carriage return) gets a leading `'`, which spreadsheets show as text (OWASP
 * "CSV injection"): a log line an attacker wrote must not run on the investigator's PC. Every
 * CSV whohad writes (bulk answers, access-log exports) goes through this.
 */
const FORMULA = /^[\t\r]|^\s*[=+\-@]/;

export function neutralise(cell: string): string {
  return FORMULA.test(cell) ? `'${cell}` : cell;
}
