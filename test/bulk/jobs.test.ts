import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BulkJobStore, JobLimitError, jobKeys } from '../../bulk/jobs.js';
import { PURPOSE, testApp, type TestApp } from '../helpers/app.js';
import { aroundLookups, byName, loadSmallIsp, postBulk } from './helpers.js';

let app: TestApp;
const dataDir = mkdtempSync(join(tmpdir(), 'whohad-jobs-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
beforeAll(async () => {
  app = await testApp({ WHOHAD_BULK_RESULT_TTL_S: '600', WHOHAD_DATA_DIR: dataDir });
  await loadSmallIsp(app);
});

const row = (i: number) => `r${i},198.51.100.7,${1024 + (i % 512)},2026-10-25T00:${String(i % 60).padStart(2, '0')}:00Z\n`;
const csvOf = (n: number) => `id,ip,port,timestamp\n${Array.from({ length: n }, (_, i) => row(i + 1)).join('')}`;

const getJob = async (id: string) => (await app.inject({ headers: app.auth, url: `/v1/attribution/bulk/${id}` })).json();

/** Asks for the job until `until` holds (each ask lets the job run on in between). */
async function watch(id: string, until: (s: any) => boolean) {
  for (;;) {
    const s = await getJob(id);
    if (until(s)) return s;
    await new Promise((ok) => setImmediate(ok));
  }
}

/** Holds every look-up after the first `n` until released: a job that stops mid-way on demand. */
function gateResolver(n: number) {
  let release!: () => void;
  const open = new Promise<void>((ok) => (release = ok));
  let calls = 0;
  const restore = aroundLookups(app.resolver, async (_q, next) => {
    if (++calls > n) await open;
    return next();
  });
  return () => {
    release();
    restore();
  };
}

describe('asynchronous jobs', () => {
  it('create → progress → download → summary → expiry', async () => {
    const release = gateResolver(4000);
    const created = await app.inject({ method: 'POST', url: `/v1/attribution/bulk/jobs?${PURPOSE}`, headers: { ...app.auth, 'content-type': 'text/csv' }, payload: csvOf(6000) });
    expect(created.statusCode, created.body).toBe(202);
    const job = created.json();
    expect(job).toMatchObject({ mode: 'async', state: 'running', format: 'csv', total: 6000, error: null, summary: null });
    expect(job.job).toMatch(/^[\w-]{16}$/);
    expect(created.headers.location).toBe(`/v1/attribution/bulk/${job.job}`);
    expect(job.links).toEqual({ self: `/v1/attribution/bulk/${job.job}`, result: `/v1/attribution/bulk/${job.job}/result`, summary: `/v1/attribution/bulk/${job.job}/summary` });

    // held after 4000 look-ups: progress shows, the result is not ready yet
    const mid = await watch(job.job, (s) => s.rows > 0);
    expect(mid.state).toBe('running');
    expect(mid.rows).toBeLessThan(6000);
    expect(mid.total).toBe(6000);
    const early = await app.inject({ headers: app.auth, url: `/v1/attribution/bulk/${job.job}/result` });
    expect(early.statusCode).toBe(409);
    expect(early.json().message).toMatch(/^job [\w-]{16} is still running \(\d+ of 6000 rows\): the result is ready when it is done/);
    expect((await app.inject({ headers: app.auth, url: `/v1/attribution/bulk/${job.job}/summary` })).statusCode).toBe(409);

    release();
    const done = await watch(job.job, (s) => s.state !== 'running');
    expect(done).toMatchObject({ state: 'done', rows: 6000, total: 6000, error: null });
    expect(done.summary).toMatchObject({ rows: 6000, complete: true, subscribers: 1 });
    expect(Date.parse(done.expiresAt) - Date.parse(done.finishedAt)).toBe(600_000);

    const result = await app.inject({ headers: app.auth, url: `/v1/attribution/bulk/${job.job}/result` });
    expect(result.statusCode).toBe(200);
    expect(result.headers['content-type']).toBe('text/csv; charset=utf-8');
    const records: string[][] = parse(result.body);
    expect(records).toHaveLength(6001);
    expect(records.slice(1).map((r) => r[0])).toEqual(Array.from({ length: 6000 }, (_, i) => `r${i + 1}`));
    // the same rows as the streamed answer gives
    const streamed = await postBulk(app, csvOf(6000));
    expect(result.body).toBe(streamed.body);

    const summary = await app.inject({ headers: app.auth, url: `/v1/attribution/bulk/${job.job}/summary` });
    expect(summary.statusCode).toBe(200);
    expect(summary.json()).toMatchObject({ job: job.job, rows: 6000, byStatus: { unique: 6000 }, corroboration: [{ subscriberId: 'sub-A', uniqueRows: 6000, candidateRows: 0 }] });

    // the result is a gzip file under the data directory, not in Redis
    const file = join(dataDir, 'bulk', `${job.job}.csv.gz`);
    expect(statSync(file).size).toBeLessThan(result.body.length / 5);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dataDir, 'bulk')).filter((n) => n.startsWith(job.job))).toEqual([`${job.job}.csv.gz`]);

    // everything the job left in Redis expires; once gone, the service says so
    const redis = app.redis;
    const keys = [jobKeys.job(job.job), jobKeys.table(job.job)];
    for (const k of keys) {
      const ttl = await redis.ttl(k);
      expect(ttl, k).toBeGreaterThan(0);
      expect(ttl, k).toBeLessThanOrEqual(600);
    }
    for (const k of keys) await redis.expire(k, 0);
    const gone = await app.inject({ headers: app.auth, url: `/v1/attribution/bulk/${job.job}/result` });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().message).toMatch(/^no bulk job [\w-]{16} of this token: it never existed, was made with another token, or it ended more than WHOHAD_BULK_RESULT_TTL_S \(600 s\) ago/);
  });

  it('answers NDJSON jobs in NDJSON', async () => {
    const created = await app.inject({ method: 'POST', url: `/v1/attribution/bulk/jobs?${PURPOSE}&format=ndjson`, headers: { ...app.auth, 'content-type': 'text/csv' }, payload: csvOf(10) });
    const { job } = created.json();
    await watch(job, (s) => s.state === 'done');
    const r = await app.inject({ headers: app.auth, url: `/v1/attribution/bulk/${job}/result` });
    expect(r.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(r.body.trim().split('\n').map((l) => JSON.parse(l).input.id)).toEqual(Array.from({ length: 10 }, (_, i) => `r${i + 1}`));
  });

  it('refuses an unusable upload before the 202, and keeps no job', async () => {
    const jobsBefore = (await app.redis.keys('bulk:*:job')).length;
    const post = (payload: string | Buffer) => app.inject({ method: 'POST', url: `/v1/attribution/bulk/jobs?${PURPOSE}`, headers: { ...app.auth, 'content-type': 'text/csv' }, payload });
    expect((await post('')).json().message).toMatch(/the file is empty/);
    expect((await post(Buffer.from('\xff\xfei\0p\0', 'latin1'))).json().message).toMatch(/UTF-16/);
    expect((await post('a,b\n1,2\n')).statusCode).toBe(400);
    const small = await testApp({ WHOHAD_BULK_LIMIT_BYTES: '1024' });
    const big = await small.inject({ method: 'POST', url: `/v1/attribution/bulk/jobs?${PURPOSE}`, headers: { ...small.auth, 'content-type': 'text/csv' }, payload: csvOf(100) });
    expect(big.statusCode).toBe(413);
    expect(await app.redis.keys('bulk:*:job')).toHaveLength(jobsBefore);
  });

  it('404 for an unknown job, 400 for a malformed id', async () => {
    expect((await app.inject({ headers: app.auth, url: '/v1/attribution/bulk/AAAAAAAAAAAAAAAA' })).statusCode).toBe(404);
    expect((await app.inject({ headers: app.auth, url: '/v1/attribution/bulk/not-a-job' })).statusCode).toBe(400);
  });
});

describe('the summary and the corroboration table', () => {
  it('counts rows per status and reason, and per subscriber unique and candidate rows with first and last time', async () => {
    const csv = [
      'id,ip,port,timestamp',
      'a1,198.51.100.7,1100,2026-10-25T00:10:00Z',
      'a2,198.51.100.7,1200,2026-10-25T00:20:00Z',
      'ab,198.51.100.7,1100,2026-10-25T01:00:01Z',
      'd1,198.51.100.8,443,2026-10-25T00:30:00Z',
      'a3,198.51.100.7,1300,2026-10-25T00:40:00Z',
      'c1,198.51.100.7,1100,2026-10-25T01:45:00Z',
      'x1,198.51.100.7,1100,2026-10-24T12:00:00Z',
      'e1,nope,1100,2026-10-24T12:00:00Z',
    ].join('\n');
    const r = await postBulk(app, csv);
    expect(byName(r.records)).toHaveLength(8);
    expect(r.summary).toMatchObject({
      rows: 8,
      complete: true,
      subscribers: 4,
      byStatus: { unique: 5, ambiguous: 1, not_found: 1, outside_retention: 0, error: 1 },
      byReason: { bad_ip: 1, no_allocation: 1, tolerance_crossing: 1, direct_public_address: 1 },
    });
    const doc = await app.inject({ headers: app.auth, url: r.summary.summaryUrl });
    expect(doc.statusCode).toBe(200);
    const s = doc.json();
    expect(s.job).toBe(r.headers['x-whohad-job']);
    expect(s.corroboration).toEqual([
      { subscriberId: 'sub-A', uniqueRows: 3, candidateRows: 1, first: '2026-10-25T00:10:00.000Z', last: '2026-10-25T01:00:01.000Z' },
      { subscriberId: 'sub-D', uniqueRows: 1, candidateRows: 0, first: '2026-10-25T00:30:00.000Z', last: '2026-10-25T00:30:00.000Z' },
      { subscriberId: 'sub-C', uniqueRows: 1, candidateRows: 0, first: '2026-10-25T01:45:00.000Z', last: '2026-10-25T01:45:00.000Z' },
      { subscriberId: 'sub-B', uniqueRows: 0, candidateRows: 1, first: '2026-10-25T01:00:01.000Z', last: '2026-10-25T01:00:01.000Z' },
    ]);
    expect(r.summary.top).toEqual(s.corroboration);
    // a streamed upload keeps only its summary
    const res = await app.inject({ headers: app.auth, url: `/v1/attribution/bulk/${s.job}/result` });
    expect(res.statusCode).toBe(404);
    expect((await getJob(s.job))).toMatchObject({ mode: 'stream', state: 'done', rows: 8, links: { result: null } });
  });
});

describe('running-job places', () => {
  it('a job marked ended but whose place is not yet given back does not hold it (the next job may start)', async () => {
    const store = new BulkJobStore(app.redis, 600);
    await store.reserve('tok-places', 'job-a', 1);
    // still running: the limit holds
    await expect(store.reserve('tok-places', 'job-b', 1)).rejects.toBeInstanceOf(JobLimitError);
    // ended, its place not yet given back (what a reader may see between the two writes)
    await app.redis.hset(jobKeys.job('job-a'), 'state', 'done');
    await expect(store.reserve('tok-places', 'job-b', 1)).resolves.toBeUndefined();
    await expect(store.reserve('tok-places', 'job-c', 1)).rejects.toBeInstanceOf(JobLimitError);
  });
});
