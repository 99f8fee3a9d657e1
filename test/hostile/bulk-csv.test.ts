import { performance } from 'node:perf_hooks';
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
  const file = (before: number, big: string) =>
    ['id,ip,port,timestamp,note', ...Array.from({ length: before + 11 }, (_, i) => `${i + 1},198.51.100.7,1100,2026-10-25T00:30:00Z,${i === before ? big : 'n'}`)].join('\n');
  const bigs = ['x'.repeat(3_000_000), `"${'x'.repeat(3_000_000)}"`];

  it('early in the file: the rows before it are answered, then one row says why, and the summary says incomplete', async () => {
    for (const big of bigs) {
      const r = await postBulk(app, file(1, big));
      expect(r.statusCode).toBe(200);
      const out = byName(r.records);
      expect(out.map((x) => [x.id, x.status])).toEqual([['1', 'unique'], ['', 'error']]);
      expect(out[1].reasons).toMatch(/^upload_incomplete: the record ending near line \d+ is longer than 1048576 characters .*: fix or remove it and send the file again, rows after this one were not read$/);
      expect(r.summary).toMatchObject({ rows: 2, complete: false });
      expect(r.summary.byReason).not.toHaveProperty('csv_syntax');
    }
  });

  it('after the answer has begun ends it with one row saying why, and the summary says incomplete', async () => {
    for (const big of bigs) {
      const r = await postBulk(app, file(20_000, big));
      expect(r.statusCode).toBe(200);
      const out = byName(r.records);
      expect(out).toHaveLength(20_001);
      expect(out[19_999].id).toBe('20000');
      expect(out[20_000]).toMatchObject({ id: '', status: 'error' });
      expect(out[20_000].reasons).toMatch(/^upload_incomplete: the record .*is longer than 1048576 characters .*rows after this one were not read$/);
      expect(r.summary).toMatchObject({ rows: 20_001, complete: false });
      expect(r.summary.byReason).not.toHaveProperty('csv_syntax');
    }
  });

  it('in the header line is a 4xx naming the problem', async () => {
    const r = await postBulk(app, `ip,port,timestamp,${'n'.repeat(2_000_000)}\n198.51.100.7,1100,2026-10-25T00:30:00Z\n`);
    expect([400, 413]).toContain(r.statusCode);
    expect(JSON.parse(r.body).message).toMatch(/longer than 1048576 characters/);
  });
});
