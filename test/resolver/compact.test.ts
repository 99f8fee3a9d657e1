import { beforeAll, describe, expect, it } from 'vitest';
import { mapHeader, type ColumnMap } from '../../bulk/header.js';
import { rowResult, type ResultRow } from '../../bulk/output.js';
import { answerRows, batchText, type AnswerOptions } from '../../bulk/run.js';
import { SummaryAccumulator } from '../../bulk/summary.js';
import type { NormalisedQuery, QueryInput } from '../../resolver/query.js';
import { compactOf, type Resolver } from '../../resolver/resolve.js';
import { testRedis } from '../helpers/redis.js';
import { storedDay } from './day.js';

/**
 * A bulk CSV answer is built from the compact form of each answer (`Resolver.resolveCompact`),
 * without the full answer: on every query of the generated day (test/resolver/day.ts, the one
 * test/resolver/differential.test.ts pins), it must say exactly what the full answer says.
 */
let inputs: QueryInput[];
let queries: NormalisedQuery[];
let resolver: Resolver;

beforeAll(async () => {
  const { redis } = await testRedis();
  const day = await storedDay(redis);
  resolver = day.resolver;
  inputs = day.queries.map((q) => q.input);
  queries = day.queries.map((q) => q.query);
}, 120_000);

describe('the compact answer against the full answer, on a generated day', () => {
  it('is compactOf(the full answer) for every query, every field, asked alone and as one batch', async () => {
    const full = await resolver.resolveMany(queries);
    const alone = [];
    for (const q of queries) alone.push(await resolver.resolveCompact(q));
    const batch = await resolver.resolveCompactMany(queries);
    const statuses = new Set<string>();
    for (let i = 0; i < queries.length; i++) {
      const want = compactOf(full[i]);
      expect(alone[i], JSON.stringify(inputs[i])).toEqual(want);
      expect(batch[i], JSON.stringify(inputs[i])).toEqual(want);
      statuses.add(want.status);
    }
    // the day reaches every status, and evidence of both kinds (through a NAT record, direct)
    expect([...statuses].sort()).toEqual(['ambiguous', 'not_found', 'outside_retention', 'unique']);
    const refs = batch.flatMap((c) => c.evidence);
    expect(refs.some((r) => r.includes('->'))).toBe(true);
    expect(refs.some((r) => !r.includes('->'))).toBe(true);
  }, 120_000);

  it('gives the same CSV rows, summary and access-log subjects through the bulk pipeline as the full answers', async () => {
    const header = mapHeader(['id', 'ip', 'port', 'timestamp', 'tz']);
    if (!header.ok) throw new Error(header.reason);
    const columns: ColumnMap = header.columns;
    // bulk asks every row of an upload with one tolerance: one upload per tolerance the day uses
    const byTolerance = new Map<string, string[][]>();
    inputs.forEach((q, i) => {
      const tol = String(q.tolerance ?? '');
      if (!byTolerance.has(tol)) byTolerance.set(tol, []);
      byTolerance.get(tol)!.push([`q${i}`, q.ip, q.port === null || q.port === undefined ? '' : String(q.port), q.at, q.tz ?? '']);
    });
    expect(byTolerance.size).toBeGreaterThan(3);
    for (const [tol, records] of byTolerance) {
      const run = async (compact: boolean) => {
        const summary = new SummaryAccumulator();
        const disclosed: string[][] = [];
        const o: AnswerOptions = {
          columns, defaults: tol === '' ? {} : { tolerance: Number(tol) }, summary,
          resolve: (qs) => resolver.resolveMany(qs),
          resolveCompact: compact ? (qs) => resolver.resolveCompactMany(qs) : undefined,
          record: async (rows: ResultRow[]) => {
            disclosed.push(rows.flatMap((r) => rowResult(r)?.candidates ?? []));
          },
          // batches of a fixed size, so that each batch's access-log subjects can be compared
          maxBatchRows: 97,
          targetMs: 1e9,
        };
        const text: string[] = [];
        for await (const rows of answerRows((async function* () { yield records; })(), o)) {
          if (compact) expect(rows.every((r) => r.answer === null)).toBe(true);
          text.push(batchText(rows, columns, 'csv'));
        }
        return { lines: text.join('').split('\r\n'), counts: summary.counts(), table: [...summary.table()], disclosed };
      };
      const full = await run(false);
      const compact = await run(true);
      expect(compact.lines).toHaveLength(records.length + 1);
      for (let i = 0; i < records.length; i++) expect(compact.lines[i], `tolerance ${tol}, ${records[i].join(',')}`).toBe(full.lines[i]);
      expect(compact.counts).toEqual(full.counts);
      expect(compact.table).toEqual(full.table);
      expect(compact.disclosed).toEqual(full.disclosed);
    }
  }, 180_000);
});
