import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NormalisedQuery, QueryInput } from '../../resolver/query.js';
import type { Resolver } from '../../resolver/resolve.js';
import { onCluster, testRedis } from '../helpers/redis.js';
import { storedDay } from './day.js';

/**
 * Every answer of a generated day (test/resolver/day.ts) equals, field for field, what the read
 * path answered before it was rewritten: its answers are kept in GOLDEN. To write the file
 * again from a checkout whose answers are known good: WHOHAD_WRITE_LOOKUP_GOLDEN=1.
 */
const GOLDEN = new URL('../fixtures/lookup-golden.json.gz', import.meta.url);

type Golden = Array<{ query: QueryInput; answer: unknown }>;

let queries: Array<{ input: QueryInput; query: NormalisedQuery }>;
let resolver: Resolver;

beforeAll(async () => {
  const { redis } = await testRedis();
  ({ resolver, queries } = await storedDay(redis));
}, 120_000);

const plain = (x: unknown) => JSON.parse(JSON.stringify(x));

/**
 * The answer as the golden file's read path wrote it. Evidence has since gained `ingest` (which
 * ingest wrote a record: null for this day, written with no ingest named), the one field the
 * golden answers lack; every other field must be equal.
 */
function asGolden(answer: unknown): unknown {
  return JSON.parse(JSON.stringify(answer), (key, value) => {
    if (key !== 'ingest') return value;
    expect(value).toBeNull();
    return undefined;
  });
}

describe('the read path against the answers of a generated day', () => {
  it('answers every query of the day as the read path it replaced did, every field equal', async () => {
    const answers: unknown[] = [];
    for (const { query } of queries) answers.push(asGolden(await resolver.resolve(query)));
    if (process.env.WHOHAD_WRITE_LOOKUP_GOLDEN && !onCluster) {
      const golden: Golden = queries.map((q, i) => ({ query: q.input, answer: answers[i] }));
      writeFileSync(GOLDEN, gzipSync(JSON.stringify(golden)));
    }
    expect(existsSync(GOLDEN)).toBe(true);
    const golden = JSON.parse(gunzipSync(readFileSync(GOLDEN)).toString('utf8')) as Golden;
    expect(golden.map((g) => g.query)).toEqual(plain(queries.map((q) => q.input)));
    for (let i = 0; i < golden.length; i++) expect(answers[i], JSON.stringify(golden[i].query)).toEqual(golden[i].answer);
  });

  it('answers the whole day read as one batch (resolveMany) exactly as one query at a time', async () => {
    const golden = JSON.parse(gunzipSync(readFileSync(GOLDEN)).toString('utf8')) as Golden;
    const answers = asGolden(await resolver.resolveMany(queries.map((q) => q.query))) as unknown[];
    expect(answers).toHaveLength(golden.length);
    for (let i = 0; i < golden.length; i++) expect(answers[i], JSON.stringify(golden[i].query)).toEqual(golden[i].answer);
  });

  it('covers every status and the reasons the corners of the day produce', () => {
    const golden = JSON.parse(gunzipSync(readFileSync(GOLDEN)).toString('utf8')) as Golden;
    const statuses = new Set(golden.map((g) => (g.answer as { status: string }).status));
    const reasons = new Set(golden.flatMap((g) => (g.answer as { reasons: string[] }).reasons));
    expect([...statuses].sort()).toEqual(['ambiguous', 'not_found', 'outside_retention', 'unique']);
    for (const r of ['port_missing', 'ambiguous_local_time', 'direct_public_address', 'no_lease_for_private_ip', 'no_lease', 'no_allocation', 'tolerance_crossing', 'open_interval', 'end_inferred', 'start_inferred', 'start_unknown', 'log_gap']) {
      expect(reasons, r).toContain(r);
    }
  });
});
