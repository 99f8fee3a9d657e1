import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../audit/log.js';
import { mapHeader } from '../../bulk/header.js';
import { openBulkInput, SkippedRecord, type InputRecord } from '../../bulk/input.js';
import { csvLine } from '../../bulk/output.js';
import { answerRows, BatchSizer, MAX_BATCH_ROWS, type Resolve } from '../../bulk/run.js';
import { SummaryAccumulator } from '../../bulk/summary.js';
import { CSV_QUOTED_MATCH } from '../../core/spreadsheet.js';
import type { AttributionAnswer } from '../../schemas/attribution.js';
import { testApp, type TestApp } from '../helpers/app.js';
import { loadSmallIsp, postBulk } from './helpers.js';

/** A small deterministic generator, so a failing case can be run again. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

/** A file of plain rows, quoted rows (with `""`, commas, line breaks), blank lines, relaxed quotes. */
function generated(seed: number): string {
  const r = rng(seed);
  const eol = pick(r, ['\n', '\r\n', '\r']);
  const cells = ['198.51.100.7', '1100', '2026-10-25T00:30:00Z', 'x"y', '"q"', '"a, b"', '"say ""hi"""', `"two${eol}lines"`, '"bare\nlf"', '"cr\rx"', '', ' ', '=1+1', 'ü€', '"x"y', '""'];
  const lines = [pick(r, ['id,ip,port,timestamp', '\uFEFFid,ip,port,timestamp', '"id","ip",port,timestamp'])];
  for (let i = 0; i < 60; i++) {
    const k = r();
    if (k < 0.05) lines.push('');
    else lines.push(Array.from({ length: 2 + Math.floor(r() * 4) }, () => pick(r, cells)).join(','));
  }
  if (r() < 0.3) lines.push('7,"never closed');
  return lines.join(eol) + (r() < 0.5 ? eol : '');
}

/** What csv-parse, reading the whole file with bulk's old options, makes of it. */
function csvParseReads(text: string): Array<string[] | string> {
  const out: Array<string[] | string> = [];
  parse(text, {
    bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, skip_records_with_error: true,
    on_record: (rec: string[]) => {
      out.push(rec);
      return null;
    },
    on_skip: (err: Error | undefined) => void out.push(`skip: ${err?.message}`),
  });
  return out;
}

function pieces(text: string, seed: number): Readable {
  const r = rng(seed);
  const buf = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let at = 0; at < buf.length; ) {
    const size = 1 + Math.floor(r() * 40);
    parts.push(buf.subarray(at, at + size));
    at += size;
  }
  return Readable.from(parts);
}

async function readAll(text: string, seed: number): Promise<Array<string[] | string>> {
  const input = await openBulkInput(pieces(text, seed), 1 << 24);
  const out: Array<string[] | string> = [input.columns.names];
  for await (const group of input.rows) {
    expect(group.length).toBeGreaterThan(0);
    for (const rec of group) out.push(rec instanceof SkippedRecord ? `skip: ${rec.error.message}` : rec);
  }
  return out;
}

describe('the record reader', () => {
  it('reads every generated file as csv-parse does, quoted lines and all, however it is cut', async () => {
    for (let seed = 1; seed <= 60; seed++) {
      const text = generated(seed);
      expect(await readAll(text, seed), JSON.stringify(text)).toEqual(csvParseReads(text));
    }
  });
});

describe('CSV text', () => {
  it('writes every cell as csv-stringify does with the line-break rule', () => {
    const r = rng(7);
    const alphabet = ['a', ',', '"', '\r', '\n', ' ', '=', "'", 'é'];
    for (let i = 0; i < 500; i++) {
      const cells = Array.from({ length: 1 + Math.floor(r() * 5) }, () => Array.from({ length: Math.floor(r() * 6) }, () => pick(r, alphabet)).join(''));
      expect(csvLine(cells)).toBe(stringify([cells], { record_delimiter: '\r\n', quoted_match: CSV_QUOTED_MATCH }));
    }
  });
});

describe('batch size', () => {
  it('halves after a batch slower than the target, grows back after quick ones, within its bounds', () => {
    const s = new BatchSizer(512, 64, 8);
    s.took(20, 512);
    expect(s.size).toBe(256);
    for (let i = 0; i < 5; i++) s.took(20, s.size);
    expect(s.size).toBe(64);
    s.took(20, 10); // a short last batch says nothing about the size
    expect(s.size).toBe(64);
    s.took(1, 64);
    s.took(1, 128);
    expect(s.size).toBe(256);
    for (let i = 0; i < 5; i++) s.took(1, s.size);
    expect(s.size).toBe(512);
  });
});

/** A stand-in answer naming the row's address as its subscriber. */
const answerOf = (ip: string): AttributionAnswer =>
  ({ status: 'unique', subscriberId: `sub-${ip}`, reasons: [], query: {}, instants: [{ utc: '2026-10-25T00:30:00.000Z' }], candidates: [{ subscriberId: `sub-${ip}`, evidence: [] }] }) as unknown as AttributionAnswer;

describe('the batch pipeline', () => {
  const columns = (() => {
    const m = mapHeader(['id', 'ip', 'port', 'timestamp']);
    if (!m.ok) throw new Error(m.reason);
    return m.columns;
  })();
  const rowsOf = (n: number, bad: (i: number) => boolean = () => false): InputRecord[] =>
    Array.from({ length: n }, (_, i) => [`r${i + 1}`, bad(i + 1) ? 'nope' : `10.0.${(i >> 8) & 255}.${i & 255}`, '1100', '2026-10-25T00:30:00Z']);
  async function* groups(recs: InputRecord[], size: number) {
    for (let i = 0; i < recs.length; i += size) yield recs.slice(i, i + size);
  }

  it('asks at most 512 rows a call, two calls at once, records each batch before handing it on, in order, one row per input row', async () => {
    const calls: number[] = [];
    let open = 0;
    let most = 0;
    const resolve: Resolve = async (qs) => {
      calls.push(qs.length);
      most = Math.max(most, ++open);
      await new Promise((ok) => setImmediate(ok));
      open--;
      return qs.map((q) => answerOf(q.ip));
    };
    const recorded: number[][] = [];
    const handed: number[] = [];
    const summary = new SummaryAccumulator();
    const out = answerRows(groups(rowsOf(3000, (i) => i % 97 === 0), 700), {
      columns, resolve, defaults: {}, summary,
      record: async (rows) => {
        // nothing of this batch has been handed on yet
        expect(handed.at(-1) ?? 0).toBe(rows[0].row - 1);
        recorded.push([rows[0].row, rows.at(-1)!.row]);
      },
    });
    for await (const batch of out) for (const r of batch) handed.push(r.row);
    expect(handed).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
    expect(Math.max(...calls)).toBeLessThanOrEqual(MAX_BATCH_ROWS);
    expect(most).toBeLessThanOrEqual(2);
    expect(most).toBe(2);
    // one record a batch, covering every row once
    expect(recorded.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i))).toEqual(handed);
    expect(recorded.length).toBe(calls.length);
    expect(summary.counts()).toMatchObject({ rows: 3000, byStatus: { unique: 3000 - 30, error: 30 }, complete: true });
  });

  it('a failed call makes its own rows store_unavailable and no others', async () => {
    let n = 0;
    const resolve: Resolve = async (qs) => {
      if (++n === 2) throw new Error('connection lost');
      return qs.map((q) => answerOf(q.ip));
    };
    const rows = [];
    for await (const batch of answerRows(groups(rowsOf(1500), 1500), { columns, resolve, defaults: {}, summary: new SummaryAccumulator(), record: async () => undefined })) rows.push(...batch);
    expect(rows).toHaveLength(1500);
    const failed = rows.filter((r) => r.error?.code === 'store_unavailable').map((r) => r.row);
    expect(failed).toEqual(Array.from({ length: 512 }, (_, i) => 513 + i));
    expect(rows.find((r) => r.error)?.error?.message).toMatch(/connection lost.*ask this row again/);
  });
});

describe('a streamed upload, end to end', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await testApp();
    await loadSmallIsp(app);
  });

  it('writes one access-log record a batch, naming the rows and the subscribers of that batch', async () => {
    const entries: AuditEntry[] = [];
    const append = app.accessLog.append.bind(app.accessLog);
    app.accessLog.append = (e) => {
      if (e.kind === 'bulk') entries.push(e);
      return append(e);
    };
    try {
      const n = 1300;
      const body = ['id,ip,port,timestamp', ...Array.from({ length: n }, (_, i) => `r${i},198.51.100.7,1100,2026-10-25T00:${String(i % 60).padStart(2, '0')}:00Z`)].join('\n');
      const r = await postBulk(app, body);
      expect(r.statusCode).toBe(200);
      expect(r.records).toHaveLength(n + 1);
      const ranges = entries.map((e) => (e.query as { rows: [number, number] }).rows);
      expect(ranges.length).toBeGreaterThanOrEqual(Math.ceil(n / MAX_BATCH_ROWS));
      expect(ranges.every(([a, b]) => b - a + 1 <= MAX_BATCH_ROWS)).toBe(true);
      expect(ranges.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i))).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      expect(entries.every((e) => e.status === `${(e.query as { rows: [number, number] }).rows[1] - (e.query as { rows: [number, number] }).rows[0] + 1} rows`)).toBe(true);
      expect(new Set(entries.flatMap((e) => e.disclosed))).toEqual(new Set(['sub-A']));
    } finally {
      app.accessLog.append = append;
    }
  });
});
