import { beforeAll, describe, expect, it } from 'vitest';
import { PURPOSE, testApp, type TestApp } from '../helpers/app.js';
import { aroundLookups, loadSmallIsp } from '../bulk/helpers.js';

/** An investigator cannot fill the service: running jobs and kept results are limited per token. */

const row = (i: number) => `r${i},198.51.100.7,${1024 + (i % 512)},2026-10-25T00:${String(i % 60).padStart(2, '0')}:00Z\n`;
const csvOf = (n: number) => `id,ip,port,timestamp\n${Array.from({ length: n }, (_, i) => row(i + 1)).join('')}`;

async function bearer(app: TestApp, name: string) {
  return { authorization: `Bearer ${(await app.tokens.create(name, ['investigator'])).token}` };
}

const startJob = (app: TestApp, headers: Record<string, string>, csv: string) =>
  app.inject({ method: 'POST', url: `/v1/attribution/bulk/jobs?${PURPOSE}`, headers: { ...headers, 'content-type': 'text/csv' }, payload: csv });

async function ended(app: TestApp, headers: Record<string, string>, job: string) {
  for (;;) {
    const s = (await app.inject({ headers, url: `/v1/attribution/bulk/${job}` })).json();
    if (s.state !== 'running') return s;
    await new Promise((ok) => setImmediate(ok));
  }
}

/** Holds every look-up until released. */
function hold(app: TestApp) {
  let release!: () => void;
  const open = new Promise<void>((ok) => (release = ok));
  const restore = aroundLookups(app.resolver, async (_q, next) => {
    await open;
    return next();
  });
  return () => {
    release();
    restore();
  };
}

describe('running jobs per token', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await testApp({ WHOHAD_BULK_MAX_RUNNING: '1' });
    await loadSmallIsp(app);
  });

  it('answers 429 naming the setting while the token runs as many jobs as it may; other tokens go on', async () => {
    const ivy = await bearer(app, 'ivy');
    const release = hold(app);
    const first = await startJob(app, ivy, csvOf(10));
    expect(first.statusCode, first.body).toBe(202);
    const second = await startJob(app, ivy, csvOf(10));
    expect(second.statusCode).toBe(429);
    expect(second.json()).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    expect(second.json().message).toMatch(/already runs 1 bulk jobs.*WHOHAD_BULK_MAX_RUNNING=1/);
    const streamed = await app.inject({ method: 'POST', url: `/v1/attribution/bulk?${PURPOSE}`, headers: { ...ivy, 'content-type': 'text/csv' }, payload: csvOf(3) });
    expect(streamed.statusCode).toBe(429);
    const other = await startJob(app, await bearer(app, 'bob'), csvOf(3));
    expect(other.statusCode).toBe(202);
    release();
    expect((await ended(app, ivy, first.json().job)).state).toBe('done');
    // the place is free again
    const third = await startJob(app, ivy, csvOf(3));
    expect(third.statusCode, third.body).toBe(202);
    expect((await ended(app, ivy, third.json().job)).state).toBe('done');
  });

  it('keeps no result in Redis', async () => {
    const bob = await bearer(app, 'carl');
    const r = await startJob(app, bob, csvOf(3000));
    const { job } = r.json();
    await ended(app, bob, job);
    const keys = (await app.redis.keys(`bulk:{${job}}:*`)).sort();
    expect(keys).toEqual([`bulk:{${job}}:corr`, `bulk:{${job}}:job`]);
    for (const k of keys) expect(Number(await app.redis.memory('USAGE', k))).toBeLessThan(16 * 1024);
  });
});

describe('kept result bytes per token', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await testApp({ WHOHAD_BULK_MAX_STORED_BYTES: '2048' });
    await loadSmallIsp(app);
  });

  it('fails a job whose result would pass the quota, and answers 507 once the token keeps as much as it may', async () => {
    const ivy = await bearer(app, 'ivy');
    const big = await startJob(app, ivy, csvOf(5000));
    expect(big.statusCode).toBe(202);
    const bigEnd = await ended(app, ivy, big.json().job);
    expect(bigEnd.state).toBe('failed');
    expect(bigEnd.error).toMatch(/would pass 2048 compressed bytes \(WHOHAD_BULK_MAX_STORED_BYTES\)/);
    expect((await app.inject({ headers: ivy, url: `/v1/attribution/bulk/${big.json().job}/result` })).statusCode).toBe(409);

    let refused = null;
    for (let i = 0; i < 20 && !refused; i++) {
      const r = await startJob(app, ivy, csvOf(8));
      if (r.statusCode === 507) refused = r;
      else {
        expect(r.statusCode, r.body).toBe(202);
        expect((await ended(app, ivy, r.json().job)).state).toBe('done');
      }
    }
    expect(refused, 'no 507 after 20 small jobs').not.toBeNull();
    expect(refused!.json()).toMatchObject({ statusCode: 507, error: 'Insufficient Storage' });
    expect(refused!.json().message).toMatch(/WHOHAD_BULK_MAX_STORED_BYTES.*it keeps \d+ now/);
    // another token has its own quota
    expect((await startJob(app, await bearer(app, 'bob'), csvOf(8))).statusCode).toBe(202);
  });
});
