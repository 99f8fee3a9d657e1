import { beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/app.js';
import { loadSmallIsp } from '../bulk/helpers.js';

/**
 * A bulk job's answers name subscribers: only the token that made the job may see anything of
 * it, and every download of its answers is a disclosure in the access log.
 */
let app: TestApp;
let ivy: { authorization: string };
let bob: { authorization: string };
let auditor: { authorization: string };

beforeAll(async () => {
  app = await testApp({ WHOHAD_AUTH_FAIL_LIMIT: '1000' });
  await loadSmallIsp(app);
  const bearer = async (name: string, roles: string[]) => ({ authorization: `Bearer ${(await app.tokens.create(name, roles)).token}` });
  ivy = await bearer('ivy', ['investigator']);
  bob = await bearer('bob', ['investigator']);
  auditor = await bearer('aud', ['auditor']);
});

const CSV = ['id,ip,port,timestamp', 'a,198.51.100.7,1100,2026-10-25T00:30:00Z', 'd,198.51.100.8,443,2026-10-25T00:30:00Z', 'n,198.51.100.7,1100,2026-10-24T12:00:00Z'].join('\n');
const CASE_QUERY = 'case=C-ivy-1&legalBasis=court-order&purpose=fraud%20complaint';

async function finishedJob(headers: Record<string, string>, query = CASE_QUERY): Promise<string> {
  const created = await app.inject({ method: 'POST', url: `/v1/attribution/bulk/jobs?${query}`, headers: { ...headers, 'content-type': 'text/csv' }, payload: CSV });
  expect(created.statusCode, created.body).toBe(202);
  const { job } = created.json();
  for (;;) {
    const s = (await app.inject({ headers, url: `/v1/attribution/bulk/${job}` })).json();
    if (s.state !== 'running') {
      expect(s.state).toBe('done');
      return job;
    }
    await new Promise((ok) => setImmediate(ok));
  }
}

const auditRecords = async (query: string) => {
  const r = await app.inject({ url: `/v1/audit?${query}`, headers: auditor });
  expect(r.statusCode, r.body).toBe(200);
  return r.json().records as Array<Record<string, any>>;
};

describe('a bulk job belongs to the token that made it', () => {
  it('answers another investigator 404 on its state, result and summary, as for a job that does not exist', async () => {
    const job = await finishedJob(ivy);
    const unknown = await app.inject({ headers: bob, url: '/v1/attribution/bulk/AAAAAAAAAAAAAAAA/summary' });
    for (const path of ['', '/result', '/summary']) {
      const r = await app.inject({ headers: bob, url: `/v1/attribution/bulk/${job}${path}` });
      expect(r.statusCode, path).toBe(404);
      expect(r.body).not.toMatch(/sub-/);
      // nothing tells bob the job exists
      expect(r.json().message.replace(job, 'ID')).toBe(unknown.json().message.replace('AAAAAAAAAAAAAAAA', 'ID'));
      expect((await app.inject({ headers: ivy, url: `/v1/attribution/bulk/${job}${path}` })).statusCode, path).toBe(200);
    }
  });

  it('keeps the summary of a streamed job to its owner too', async () => {
    const r = await app.inject({ method: 'POST', url: `/v1/attribution/bulk?${CASE_QUERY}`, headers: { ...ivy, 'content-type': 'text/csv' }, payload: CSV });
    expect(r.statusCode).toBe(200);
    const job = r.headers['x-whohad-job'] as string;
    expect((await app.inject({ headers: bob, url: `/v1/attribution/bulk/${job}/summary` })).statusCode).toBe(404);
    expect((await app.inject({ headers: bob, url: `/v1/attribution/bulk/${job}` })).statusCode).toBe(404);
    expect((await app.inject({ headers: ivy, url: `/v1/attribution/bulk/${job}/summary` })).statusCode).toBe(200);
  });

  it('records every download of a result or summary as one disclosure: who, which job, which case, how many subjects', async () => {
    const job = await finishedJob(ivy);
    const before = (await auditRecords('user=ivy&limit=1000')).length;
    for (const path of ['/result', '/summary', '/result']) {
      const r = await app.inject({ headers: ivy, url: `/v1/attribution/bulk/${job}${path}` });
      expect(r.statusCode).toBe(200);
      expect(r.body).toMatch(/sub-A/);
    }
    const mine = await auditRecords('user=ivy&limit=1000');
    expect(mine.length - before).toBe(3);
    const downloads = mine.slice(0, 3).reverse();
    expect(downloads.map((d) => d.route)).toEqual([
      'GET /v1/attribution/bulk/{job}/result', 'GET /v1/attribution/bulk/{job}/summary', 'GET /v1/attribution/bulk/{job}/result',
    ]);
    for (const d of downloads) {
      expect(d).toMatchObject({ kind: 'bulk', user: 'ivy', case: 'C-ivy-1', legalBasis: 'court-order', purpose: 'fraud complaint', query: { job } });
      expect(d.details).toMatchObject({ job, subjects: 2, rows: 3 });
      expect([...d.disclosed].sort()).toEqual(['sub-A', 'sub-D']);
    }
    // the data-subject view finds the downloads of each subject disclosed
    for (const sub of ['sub-A', 'sub-D']) {
      const seen = (await auditRecords(`subscriber=${sub}&limit=1000`)).filter((x) => x.query?.job === job && x.route.startsWith('GET '));
      expect(seen, sub).toHaveLength(3);
    }
    // a refused download discloses nothing and is no disclosure record
    expect((await app.inject({ headers: bob, url: `/v1/attribution/bulk/${job}/result` })).statusCode).toBe(404);
    expect((await auditRecords('user=bob&limit=1000')).filter((x) => x.route?.startsWith('GET /v1/attribution/bulk'))).toEqual([]);
  });

  it('discloses nothing when the download cannot be recorded (503)', async () => {
    const job = await finishedJob(ivy);
    const append = app.accessLog.append.bind(app.accessLog);
    app.accessLog.append = async () => {
      throw new Error('access log down');
    };
    try {
      for (const path of ['/result', '/summary']) {
        const r = await app.inject({ headers: ivy, url: `/v1/attribution/bulk/${job}${path}` });
        expect(r.statusCode, path).toBe(503);
        expect(r.body).not.toMatch(/sub-/);
        expect(r.json().message).toMatch(/access log could not be written/);
      }
    } finally {
      app.accessLog.append = append;
    }
  });
});

describe('the OpenAPI document', () => {
  it('lists the bearer security for every bulk route', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    const bulk = Object.entries(doc.paths as Record<string, Record<string, { security?: unknown }>>).filter(([p]) => p.startsWith('/v1/attribution/bulk'));
    // the five job routes and the job's disclosure report
    expect(bulk.length).toBe(6);
    for (const [path, ops] of bulk) for (const [method, op] of Object.entries(ops)) expect(op.security, `${method} ${path}`).toEqual([{ bearer: [] }]);
  });
});

