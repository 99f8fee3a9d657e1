import { parse } from 'csv-parse/sync';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { mapHeader } from '../../bulk/header.js';
import { PURPOSE, testApp, type TestApp } from '../helpers/app.js';
import { byName, loadSmallIsp, postBulk } from '../bulk/helpers.js';

let app: TestApp;
beforeAll(async () => {
  app = await testApp({ WHOHAD_BULK_RESULT_TTL_S: '600' });
  await loadSmallIsp(app);
});

/** A line of the answer a spreadsheet would start as a formula, quoted or not. */
const formulaLines = (body: string) => body.split(/\r\n|\r|\n/).filter((l) => /^\s*[=+\-@]|^\t/.test(l));

/** Runs a background job to its end and returns its CSV result. */
async function jobResult(csv: string): Promise<string> {
  const created = await app.inject({ method: 'POST', url: `/v1/attribution/bulk/jobs?${PURPOSE}`, headers: { ...app.auth, 'content-type': 'text/csv' }, payload: csv });
  expect(created.statusCode, created.body).toBe(202);
  const id = created.json().job;
  for (;;) {
    const s = (await app.inject({ headers: app.auth, url: `/v1/attribution/bulk/${id}` })).json();
    if (s.state !== 'running') break;
    await new Promise((ok) => setImmediate(ok));
  }
  const result = await app.inject({ headers: app.auth, url: `/v1/attribution/bulk/${id}/result` });
  expect(result.statusCode, result.body).toBe(200);
  return result.body;
}

describe('formula injection through line breaks inside a cell', () => {
  const payload = `x\n=cmd|' /C calc'!A0`;
  const csv = [
    'id,ip,port,timestamp,agent',
    `lf,198.51.100.7,1100,2026-10-25T00:30:00Z,"${payload}"`,
    `cr,198.51.100.7,1100,2026-10-25T00:30:00Z,"x\r@SUM(1+1)*cmd|' /C calc'!A0"`,
    `crlf,198.51.100.7,1100,2026-10-25T00:30:00Z,"x\r\n  +cmd|' /C calc'!A0"`,
    `"id\n-2+3",198.51.100.7,1100,2026-10-25T00:30:00Z,"tab\n\tx"`,
  ].join('\r\n');

  function expectSafe(body: string) {
    expect(formulaLines(body)).toEqual([]);
    // every cell with a line break is quoted, so it stays one cell
    expect(body).toContain(`"x\n'=cmd|' /C calc'!A0"`);
    expect(body).toContain(`"x\r'@SUM(1+1)*cmd|' /C calc'!A0"`);
    expect(body).toContain(`"x\r\n'  +cmd|' /C calc'!A0"`);
    expect(body).toContain(`"id\n'-2+3"`);
    expect(body).toContain(`"tab\n'\tx"`);
  }

  it('quotes the cell and neutralises every line of it in a streamed answer', async () => {
    const r = await postBulk(app, csv);
    expect(r.statusCode, r.body).toBe(200);
    expectSafe(r.body);
    expect(byName(r.records).map((x) => x.status)).toEqual(['unique', 'unique', 'unique', 'unique']);
  });

  it('does the same in a background job result', async () => {
    expectSafe(await jobResult(csv));
  });
});

describe('the header check on a hostile header', () => {
  /**
   * CPU time of the fastest of five runs, in ms. CPU time, not wall time: a test process that
   * waits for a core on a busy machine is not charged for the wait, so the ratio below measures
   * the work, which is what tells linear from quadratic.
   */
  function fastest(header: string): number {
    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      const t0 = process.cpuUsage();
      const r = mapHeader([header]);
      const used = process.cpuUsage(t0);
      best = Math.min(best, (used.user + used.system) / 1000);
      expect(r.ok).toBe(false);
    }
    return best;
  }

  it('takes time in proportion to its length (100 KiB against 1 MiB)', () => {
    const worst = (n: number) => `${':'.repeat(n - 1)}g`;
    const small = fastest(worst(100 * 1024));
    const large = fastest(worst(1024 * 1024));
    // linear is about 10; quadratic would be about 100. Floors keep sub-millisecond noise out.
    expect(Math.max(large, 1) / Math.max(small, 0.1)).toBeLessThan(30);
  });

  it('answers a 1 MiB hostile header through the route with a 400 naming the problem', async () => {
    const r = await postBulk(app, `${':'.repeat(1024 * 1024 - 1)}g\n1,2,3\n`);
    expect(r.statusCode).toBe(400);
    expect(JSON.parse(r.body).message).toMatch(/has no address column .* and no time column/);
  });
});

describe('an oversized field', () => {
  const file = (before: number, big: string, eol = '\n') =>
    ['id,ip,port,timestamp,note', ...Array.from({ length: before + 11 }, (_, i) => `${i + 1},198.51.100.7,1100,2026-10-25T00:30:00Z,${i === before ? big : 'n'}`)].join(eol);
  const bigs = ['x'.repeat(3_000_000), `"${'x'.repeat(3_000_000)}"`, `"${'x\n'.repeat(1_500_000)}"`, 'ø'.repeat(600_000)];
  const tooLong = /^record_too_long: the record at line \d+ is \d+ bytes, longer than the 1048576 a record may have .*: it was not read, the rows after it were$/;

  it('early in the file: that row is one error row naming the reason, and every later row is answered', async () => {
    for (const big of bigs) {
      const r = await postBulk(app, file(1, big));
      expect(r.statusCode).toBe(200);
      const out = byName(r.records);
      expect(out.map((x) => x.id)).toEqual(['1', '', ...Array.from({ length: 10 }, (_, i) => String(i + 3))]);
      expect(out.map((x) => x.status)).toEqual(['unique', 'error', ...Array(10).fill('unique')]);
      expect(out[1].reasons).toMatch(tooLong);
      expect(out[1].reasons).toContain('the record at line 3 ');
      expect(r.summary).toMatchObject({ rows: 12, complete: true, byStatus: { unique: 11, error: 1 }, byReason: { record_too_long: 1 } });
      expect(r.summary.byReason).not.toHaveProperty('csv_syntax');
    }
  });

  it('after the answer has begun: rows out equal rows in', async () => {
    for (const big of bigs.slice(0, 2)) {
      const r = await postBulk(app, file(20_000, big));
      expect(r.statusCode).toBe(200);
      const out = byName(r.records);
      expect(out).toHaveLength(20_011);
      expect(out[19_999].id).toBe('20000');
      expect(out[20_000]).toMatchObject({ id: '', status: 'error' });
      expect(out[20_000].reasons).toMatch(tooLong);
      expect(out[20_010]).toMatchObject({ id: '20011', status: 'unique' });
      expect(r.summary).toMatchObject({ rows: 20_011, complete: true });
    }
  });

  it('with CRLF or CR line ends, several in a row, sent in small pieces, and in a background job alike', async () => {
    const big = `"${'y'.repeat(1_100_000)}"`;
    for (const eol of ['\r\n', '\r']) {
      const out = byName((await postBulk(app, file(3, big, eol))).records);
      expect(out.map((x) => x.status)).toEqual(['unique', 'unique', 'unique', 'error', ...Array(10).fill('unique')]);
      expect(out[4].id).toBe('5');
    }
    const twice = ['id,ip,port,timestamp,note', `1,198.51.100.7,1100,2026-10-25T00:30:00Z,${big}`, `2,198.51.100.7,1100,2026-10-25T00:30:00Z,${big}`, '3,198.51.100.7,1100,2026-10-25T00:30:00Z,n'].join('\n');
    const whole = await postBulk(app, twice);
    expect(byName(whole.records).map((x) => x.status)).toEqual(['error', 'error', 'unique']);
    expect(byName(whole.records)[1].reasons).toContain('the record at line 3 ');
    const bytes = Buffer.from(twice);
    const pieces = Readable.from(Array.from({ length: Math.ceil(bytes.length / 4099) }, (_, i) => bytes.subarray(i * 4099, (i + 1) * 4099)));
    expect((await postBulk(app, pieces)).body).toBe(whole.body);
    const job = parse(await jobResult(twice), { relax_column_count: true });
    expect(job.slice(1).map((x: string[]) => x[5])).toEqual(['error', 'error', 'unique']);
  });

  it('a quote that never closes swallows the rest of the file: one row says so, and the summary says incomplete', async () => {
    const csv = ['id,ip,port,timestamp,note', '1,198.51.100.7,1100,2026-10-25T00:30:00Z,n', '2,198.51.100.7,1100,2026-10-25T00:30:00Z,"runaway', ...Array.from({ length: 60_000 }, (_, i) => `${i + 3},198.51.100.7,1100,2026-10-25T00:30:00Z,n`)].join('\n');
    const r = await postBulk(app, csv);
    expect(r.statusCode).toBe(200);
    const out = byName(r.records);
    expect(out.map((x) => x.status)).toEqual(['unique', 'error']);
    expect(out[1].reasons).toMatch(/^upload_incomplete: the quote opened in the record at line 3 never closes: .*no row after line 3 could be read/);
    expect(r.summary).toMatchObject({ rows: 2, complete: false });
  });

  it('in the header line is a 4xx naming the problem', async () => {
    const r = await postBulk(app, `ip,port,timestamp,${'n'.repeat(2_000_000)}\n198.51.100.7,1100,2026-10-25T00:30:00Z\n`);
    expect([400, 413]).toContain(r.statusCode);
    expect(JSON.parse(r.body).message).toMatch(/longer than 1048576 bytes/);
  });
});
