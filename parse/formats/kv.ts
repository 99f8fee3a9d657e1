/**
 * Reads `key=value` pairs: CEF extensions (A10), FortiOS logs, Nokia notification objects.
 *
 * An unquoted value runs to the next space that is followed by `key=`, because CEF values
 * carry spaces (`cn3Label=Last Nat Port`); splitting on spaces would misread them. With
 * `quotes`, a value that opens with `"` runs to the closing quote (FortiOS writes
 * `logid="0100022015"`). Text before the first pair (a host or partition prefix) is passed
 * over; a key given twice is an error, since that is what two records spliced into one line
 * (a truncated record followed by the next) look like.
 */
export type Pairs = Map<string, string>;

const KEY = new Uint8Array(128);
for (let c = 48; c <= 57; c++) KEY[c] = 1;
for (let c = 65; c <= 90; c++) KEY[c] = 1;
for (let c = 97; c <= 122; c++) KEY[c] = 1;
KEY[95] = 1; // _
KEY[46] = 1; // .
KEY[45] = 1; // -
KEY[58] = 1; // : (MIB-qualified names such as TIMETRA-NAT-MIB::tmnxNatNotifyPort)

const SPACE = 32;
const EQ = 61;
const QUOTE = 34;
const BACKSLASH = 92;

function keyEnd(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c >= 128 || KEY[c] === 0) break;
    i++;
  }
  return i;
}

/** Whether `key=` starts at i (after any spaces). */
function pairStartsAt(text: string, i: number): boolean {
  while (i < text.length && text.charCodeAt(i) === SPACE) i++;
  const e = keyEnd(text, i);
  return e > i && e < text.length && text.charCodeAt(e) === EQ;
}

// CEF extension escapes: \= \\ \n \r.
function unescapeCef(v: string): string {
  return v.replace(/\\([=\\nr])/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}

/** The pairs from `start` on, or a reason the text is not a sequence of pairs. */
export function readPairs(text: string, start: number, quotes: boolean): Pairs | string {
  const pairs: Pairs = new Map();
  const n = text.length;
  let i = start;
  while (i < n) {
    while (i < n && text.charCodeAt(i) === SPACE) i++;
    if (i >= n) break;
    const ks = i;
    i = keyEnd(text, i);
    if (i === ks || i >= n || text.charCodeAt(i) !== EQ) {
      if (pairs.size > 0) return `unexpected text ${JSON.stringify(text.slice(ks, ks + 40))} where a key=value pair should be`;
      while (i < n && text.charCodeAt(i) !== SPACE) i++;
      continue;
    }
    const key = text.slice(ks, i);
    i++;
    let value: string;
    if (quotes && i < n && text.charCodeAt(i) === QUOTE) {
      const vs = ++i;
      let escaped = false;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === QUOTE) break;
        if (c === BACKSLASH) {
          escaped = true;
          i++;
        }
        i++;
      }
      if (i >= n) return `value of ${key} has no closing quote (truncated line?)`;
      value = text.slice(vs, i);
      if (escaped) value = value.replace(/\\(.)/g, '$1');
      i++;
      if (i < n && text.charCodeAt(i) !== SPACE) return `unexpected text after the quoted value of ${key}`;
    } else {
      const vs = i;
      let escaped = false;
      let end = n;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === BACKSLASH) {
          escaped = true;
          i += 2;
          continue;
        }
        if (c === SPACE && pairStartsAt(text, i + 1)) {
          end = i;
          break;
        }
        i++;
      }
      if (i > n) i = n;
      while (end > vs && text.charCodeAt(end - 1) === SPACE) end--;
      value = text.slice(vs, end);
      if (escaped && !quotes) value = unescapeCef(value);
    }
    if (pairs.has(key)) return `key ${key} appears twice (two records run together?)`;
    pairs.set(key, value);
  }
  return pairs;
}
