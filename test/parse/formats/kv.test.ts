import { describe, expect, it } from 'vitest';
import { readPairs } from '../../../parse/formats/kv.js';

describe('readPairs', () => {
  it('keeps spaces inside unquoted CEF values and unescapes \\= and \\\\', () => {
    const p = readPairs('proto=UDP cn3=22271 cn3Label=Last Nat Port msg=a\\=b c\\\\d', 0, false);
    expect(p).toEqual(new Map([['proto', 'UDP'], ['cn3', '22271'], ['cn3Label', 'Last Nat Port'], ['msg', 'a=b c\\d']]));
  });
  it('reads quoted values with spaces and escaped quotes, and passes over a leading prefix', () => {
    const p = readPairs('host/part date=2026-03-29 devname="fgt edge" msg="say \\"hi\\"" empty= x=1', 0, true);
    expect(p).toEqual(new Map([['date', '2026-03-29'], ['devname', 'fgt edge'], ['msg', 'say "hi"'], ['empty', ''], ['x', '1']]));
  });
  it('says what is wrong: unclosed quotes, duplicate keys, text after a quoted value', () => {
    expect(readPairs('a="x b=1', 0, true)).toBe('value of a has no closing quote (truncated line?)');
    expect(readPairs('a=1 b=2 a=3', 0, false)).toBe('key a appears twice (two records run together?)');
    expect(readPairs('a="x"y b=1', 0, true)).toBe('unexpected text after the quoted value of a');
    expect(readPairs('a="x" junk b=1', 0, true)).toContain('unexpected text "junk b=1"');
  });
});
