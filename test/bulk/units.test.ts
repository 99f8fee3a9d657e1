import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { Rechunk } from '../../bulk/run.js';
import { mapHeader, normalise, type ColumnMap } from '../../bulk/header.js';
import { mapOrdered } from '../../bulk/ordered.js';
import { csvRecord, type ResultRow } from '../../bulk/output.js';
import { neutralise } from '../../core/spreadsheet.js';
import { rowToQuery } from '../../bulk/row.js';
import { SummaryAccumulator } from '../../bulk/summary.js';
import type { AttributionAnswer } from '../../schemas/attribution.js';

const columns = (header: string): ColumnMap => {
  const r = mapHeader(header.split(','));
  if (!r.ok) throw new Error(r.reason);
  return r.columns;
};

describe('header mapping', () => {
  it.each([
    ['id,ip,port,timestamp', { id: 0, ip: 1, port: 2, time: { at: 3 }, tz: null }],
    ['Timestamp,Source IP,Source Port,TZ', { id: null, ip: 1, port: 2, time: { at: 0 }, tz: 3 }],
    ['remote_addr,remote_port,time_local,request', { id: null, ip: 0, port: 1, time: { at: 2 }, tz: null }],
    ['date,time,c-ip,c-port,cs-uri-stem', { id: null, ip: 2, port: 3, time: { date: 0, time: 1 }, tz: null }],
    ['\uFEFF"src_ip",@timestamp', { id: null, ip: 0, port: null, time: { at: 1 }, tz: null }],
  ])('%s', (header, expected) => {
    expect(columns(header)).toMatchObject(expected);
  });

  it('normalises names', () => {
    expect(normalise('  Source-Port ')).toBe('source_port');
    expect(normalise('\uFEFF@timestamp')).toBe('timestamp');
  });

  it('refuses two columns for one field rather than guess', () => {
    expect(mapHeader(['ip', 'client_ip', 'time'])).toEqual({ ok: false, reason: 'columns "ip" and "client_ip" both look like the ip column: rename all but one' });
    expect(mapHeader(['ip', 'timestamp', 'date'])).toMatchObject({ ok: false, reason: expect.stringMatching(/all look like the time column/) });
  });

  it('gives keys to duplicate and empty names for NDJSON', () => {
    expect(columns('ip,ts,x,x,').keys).toEqual(['ip', 'ts', 'x', 'x_2', 'column_5']);
  });
});

describe('row → query', () => {
  const c = columns('id,ip,port,timestamp,tz');
  it('builds the query the single look-up builds', () => {
    expect(rowToQuery(['1', ' ::ffff:198.51.100.7 ', '0080', '2026-10-25T00:30:00Z', ''], c, { tolerance: 0 })).toEqual({
      ok: true, query: { ip: '198.51.100.7', port: 80, at: '2026-10-25T00:30:00Z', tolerance: 0 },
    });
    expect(rowToQuery(['1', '198.51.100.7', '-', '1792888200', 'Europe/Copenhagen'], c, { tz: 'UTC' })).toEqual({
      ok: true, query: { ip: '198.51.100.7', port: null, at: '1792888200', tz: 'Europe/Copenhagen' },
    });
  });
  it.each([
    [['1', '10.1', '80', 'x', ''], 'bad_ip'],
    [['1', '1.2.3.4', '65536', 'x', ''], 'bad_port'],
    [['1', '1.2.3.4', '8.5', 'x', ''], 'bad_port'],
    [['1', '1.2.3.4', '80', ' ', ''], 'bad_time'],
    [['1', '1.2.3.4', '80', 'x'], 'column_count'],
  ])('%j → %s', (cells, code) => {
    expect(rowToQuery(cells, c, {})).toMatchObject({ ok: false, error: { code } });
  });
});

describe('formula neutralisation', () => {
  it.each([
    ['=1+1', "'=1+1"], ['+49 123', "'+49 123"], ['-1', "'-1"], ['@SUM(A1)', "'@SUM(A1)"], ['  =cmd', "'  =cmd"],
    ['\tx', "'\tx"], ['\rx', "'\rx"], ['a=b', 'a=b'], ['198.51.100.7', '198.51.100.7'], ['', ''],
  ])('%j → %j', (cell, out) => {
    expect(neutralise(cell)).toBe(out);
  });

  it('pads short rows and cuts long ones to the header width', () => {
    const r: ResultRow = { row: 1, cells: ['a', 'b', 'c'], answer: null, error: { code: 'column_count', message: 'x; y' } };
    expect(csvRecord(r, 2)).toEqual(['a', 'b', 'error', '', '', 'column_count: x, y', '', '']);
    expect(csvRecord({ ...r, cells: ['=a'] }, 2).slice(0, 2)).toEqual(["'=a", '']);
  });
});

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((ok) => (resolve = ok));
  return { promise, resolve };
}

describe('mapOrdered', () => {
  it('yields in input order whatever order the work finishes in, with at most `window` in flight', async () => {
    const pending: Array<{ n: number; d: ReturnType<typeof deferred<string>> }> = [];
    let inFlight = 0;
    let most = 0;
    async function* source() {
      for (let n = 0; n < 20; n++) yield n;
    }
    const out = mapOrdered(
      source(),
      (n) => {
        inFlight++;
        most = Math.max(most, inFlight);
        const d = deferred<string>();
        pending.push({ n, d });
        return d.promise.finally(() => inFlight--);
      },
      4,
    );
    const got: string[] = [];
    const consume = (async () => {
      for await (const v of out) got.push(v);
    })();
    // finish the work newest first, each time all that is pending
    while (got.length < 20) {
      await new Promise((ok) => setImmediate(ok));
      for (const p of pending.splice(0).reverse()) p.d.resolve(`v${p.n}`);
    }
    await consume;
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
    expect(most).toBeLessThanOrEqual(4);
  });

  it('yields finished heads before the source ends', async () => {
    const gate = deferred<void>();
    async function* source() {
      yield 1;
      yield 2;
      await gate.promise;
      yield 3;
    }
    const it = mapOrdered(source(), async (n) => n * 10, 8);
    const first = await it.next();
    expect(first).toEqual({ done: false, value: 10 });
    gate.resolve();
    const rest: number[] = [];
    for await (const v of it) rest.push(v);
    expect(rest).toEqual([20, 30]);
  });

  it('passes a failure of the work on, in its place', async () => {
    async function* source() {
      yield* [1, 2, 3];
    }
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const v of mapOrdered(source(), async (n) => {
          if (n === 2) throw new Error('boom');
          return n;
        }, 2)) got.push(v);
      })(),
    ).rejects.toThrow('boom');
    expect(got).toEqual([1]);
  });
});

const answer = (status: AttributionAnswer['status'], who: string[], utc: string[], reasons: AttributionAnswer['reasons'] = []): AttributionAnswer => ({
  status, subscriberId: status === 'unique' ? who[0] : null, reasons,
  query: { ip: '1.2.3.4', port: 1, at: utc[0], tz: null, tolerance: 2 },
  instants: utc.map((u) => ({ utc: u, local: u, windowFrom: u, windowTo: u })),
  candidates: who.map((subscriberId) => ({ subscriberId, evidence: [] })),
});

describe('SummaryAccumulator', () => {
  it('counts statuses, reasons and corroboration, strongest first', () => {
    const s = new SummaryAccumulator();
    const add = (a: AttributionAnswer | null) => s.add({ row: 0, cells: [], answer: a, error: a ? null : { code: 'bad_ip', message: 'x' } });
    add(answer('unique', ['B'], ['2026-10-25T03:00:00.000Z'], ['open_interval']));
    add(answer('unique', ['A'], ['2026-10-25T02:00:00.000Z']));
    add(answer('ambiguous', ['A', 'B'], ['2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z'], ['ambiguous_local_time', 'open_interval']));
    add(answer('unique', ['A'], ['2026-10-25T04:00:00.000Z']));
    add(answer('not_found', [], ['2026-10-25T04:00:00.000Z'], ['no_allocation']));
    add(null);
    expect(s.counts()).toEqual({
      rows: 6, complete: true, subscribers: 2,
      byStatus: { unique: 3, ambiguous: 1, not_found: 1, outside_retention: 0, error: 1 },
      byReason: { ambiguous_local_time: 1, bad_ip: 1, no_allocation: 1, open_interval: 2 },
    });
    expect([...s.table()]).toEqual([
      { subscriberId: 'A', uniqueRows: 2, candidateRows: 1, first: '2026-10-25T00:30:00.000Z', last: '2026-10-25T04:00:00.000Z' },
      { subscriberId: 'B', uniqueRows: 1, candidateRows: 1, first: '2026-10-25T00:30:00.000Z', last: '2026-10-25T03:00:00.000Z' },
    ]);
  });
});

describe('SummaryAccumulator.top', () => {
  it('is the head of the full table', () => {
    const s = new SummaryAccumulator();
    let seed = 5;
    const r = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 3000; i++) {
      const who = [`S${Math.floor(r() * 300)}`];
      if (r() < 0.3) who.push(`S${Math.floor(r() * 300)}`);
      const status = who.length === 1 ? 'unique' : 'ambiguous';
      s.add({ row: i, cells: [], answer: answer(status, [...new Set(who)], [new Date(Date.UTC(2026, 9, 25) + Math.floor(r() * 86_400_000)).toISOString()]), error: null });
    }
    const all = [...s.table()];
    expect(all).toHaveLength(s.counts().subscribers);
    expect(s.top(10)).toEqual(all.slice(0, 10));
    expect(s.top(1000)).toEqual(all);
  });
});

describe('Rechunk', () => {
  const chunksOf = async (pieces: string[], size: number) => {
    const out: string[] = [];
    const r = new Rechunk(size);
    r.on('data', (c: string) => out.push(c));
    for (const p of pieces) r.write(p);
    r.end();
    await once(r, 'end');
    return out;
  };

  it('cuts a large piece into chunks of the size, joins small ones, and loses nothing', async () => {
    const big = 'x'.repeat(100);
    const out = await chunksOf(['ab', 'cd', big, 'e'], 16);
    expect(out.join('')).toBe(`abcd${big}e`);
    expect(out.slice(0, -1).every((c) => c.length === 16)).toBe(true);
    expect(out.at(-1)!.length).toBeLessThanOrEqual(16);
  });

  it('never cuts between the two halves of a character beyond the BMP', async () => {
    const text = `${'x'.repeat(15)}😀${'y'.repeat(20)}`;
    const out = await chunksOf([text], 16);
    expect(out.join('')).toBe(text);
    for (const c of out) expect(Buffer.from(c, 'utf8').toString('utf8')).toBe(c);
    expect(out[0]).toBe('x'.repeat(15));
  });
});
