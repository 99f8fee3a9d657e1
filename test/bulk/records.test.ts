import { parse } from 'csv-parse';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RecordSplitter } from '../../bulk/records.js';
import type { RowError } from '../../bulk/row.js';

/** The reader's csv-parse options (bulk/input.ts), without a record size limit. */
const OPTIONS = { bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, max_record_size: 0 };
const MARK = '<skipped>';

/** A small seeded generator, so a failure can be repeated. */
function random(seed: number) {
  let x = seed;
  return (n: number) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 16) % n;
  };
}

/** A CSV file with every kind of field: plain, quoted with commas, quotes and line breaks, relaxed quotes, multi-byte text. */
function csvFile(rnd: (n: number) => number): string {
  const eol = ['\n', '\r\n', '\r'][rnd(3)];
  const plain = () => Array.from({ length: rnd(30) }, () => ['a', 'b', ' ', 'ø', 'x"y', eol === '\n' ? '\r' : 'c'][rnd(6)]).join('');
  const quoted = () => `"${Array.from({ length: rnd(30) }, () => ['a', ',', '""', '\n', '\r\n', '\r', 'ø'][rnd(7)]).join('')}"${rnd(5) === 0 ? 'tail' : ''}`;
  const records = Array.from({ length: 1 + rnd(12) }, () => (rnd(8) === 0 ? '' : Array.from({ length: 1 + rnd(5) }, () => (rnd(2) ? plain() : quoted())).join(',')));
  return `${rnd(4) === 0 ? '\uFEFF' : ''}${records.join(eol)}${rnd(2) ? eol : ''}`;
}

async function records(source: Readable): Promise<Array<string[] | string>> {
  const out: Array<string[] | string> = [];
  for await (const r of source.pipe(parse(OPTIONS))) out.push(r as string[]);
  return out;
}

/** Bytes csv-parse counts against its max_record_size: the fields' text. */
const size = (r: string[]) => r.reduce((n, f) => n + Buffer.byteLength(f), 0);

function inPieces(text: string, rnd: (n: number) => number): Readable {
  const buf = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let at = 0; at < buf.length; ) {
    const len = 1 + rnd(9);
    parts.push(buf.subarray(at, at + len));
    at += len;
  }
  return Readable.from(parts);
}

describe('the record splitter in front of csv-parse', () => {
  it('passes every record within the limit unchanged and puts one marker for each longer one, whatever the chunking', async () => {
    let marks = 0;
    let total = 0;
    let unreadable = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const rnd = random(seed);
      const text = csvFile(rnd);
      const max = 5 + rnd(40);
      // a file csv-parse refuses (a quote left open at the end) is not one to compare against
      const whole = await records(Readable.from([Buffer.from(text)])).catch(() => null);
      if (!whole) {
        unreadable++;
        continue;
      }
      const expected = whole.map((r) => (size(r as string[]) > max ? [MARK] : r));
      const skipped: RowError[] = [];
      const split = new RecordSplitter(max, MARK, skipped);
      const got = await records(inPieces(text, rnd).pipe(split));
      expect(got, `seed ${seed}: ${JSON.stringify(text)} max ${max}`).toEqual(expected);
      expect(skipped.length).toBe(expected.filter((r) => r[0] === MARK && r.length === 1).length);
      expect(skipped.every((e) => e.code === 'record_too_long')).toBe(true);
      marks += skipped.length;
      total += expected.length;
    }
    // the files are varied enough to matter: both kinds of record, many times
    expect(marks).toBeGreaterThan(200);
    expect(total - marks).toBeGreaterThan(200);
    expect(unreadable).toBeLessThan(100);
  });

  it('changes no byte of a file whose records are all within the limit', async () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rnd = random(seed);
      const text = csvFile(rnd);
      const chunks: Buffer[] = [];
      for await (const c of inPieces(text, rnd).pipe(new RecordSplitter(1 << 20, MARK, []))) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).toString(), `seed ${seed}`).toBe(text);
    }
  });
});
