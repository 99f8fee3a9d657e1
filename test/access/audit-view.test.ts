import { beforeAll, describe, expect, it } from 'vitest';
import { PURPOSE, testApp, type TestApp } from '../helpers/app.js';
import { bearer, EVENTS, logRecords, Q_A, Q_B } from './helpers.js';

let app: TestApp;
let investigator: { authorization: string };
let auditor: { authorization: string };

beforeAll(async () => {
  app = await testApp();
  investigator = await bearer(app, 'ivy', ['investigator']);
  auditor = await bearer(app, 'dpo', ['auditor']);
  expect((await app.inject({ method: 'POST', url: '/v1/events', headers: app.auth, payload: EVENTS })).json().accepted).toBe(EVENTS.length);
});

describe("the data subject's view", () => {
  it('shows, per subject, only that subject among those a look-up disclosed', async () => {
    // one look-up without a port discloses both subscribers sharing the address
    const both = await app.inject({ url: `/v1/attribution?ip=198.51.100.7&at=2026-10-25T00:30:00Z&case=C-BOTH&legalBasis=court-order&purpose=x`, headers: investigator });
    expect(both.json().candidates.map((c: { subscriberId: string }) => c.subscriberId).sort()).toEqual(['sub-A', 'sub-B']);
    await app.inject({ url: `/v1/attribution?${Q_B}&case=C-ONLY-B&legalBasis=court-order&purpose=x`, headers: investigator });
    const forA = (await app.inject({ url: '/v1/audit?subscriber=sub-A', headers: auditor })).json().records;
    expect(forA.map((r: { case: string }) => r.case)).toEqual(['C-BOTH']);
    expect(forA[0].disclosed).toEqual(['sub-A']);
    const text = (await app.inject({ url: '/v1/audit?subscriber=sub-A&format=csv', headers: auditor })).body;
    expect(text).toContain('sub-A');
    expect(text).not.toContain('sub-B');
    const forB = (await app.inject({ url: '/v1/audit?subscriber=sub-B', headers: auditor })).json().records;
    expect(forB.map((r: { case: string; disclosed: string[] }) => [r.case, r.disclosed])).toEqual([['C-ONLY-B', ['sub-B']], ['C-BOTH', ['sub-B']]]);
    // the log itself keeps the whole record
    expect((await logRecords(app)).find((r) => r.case === 'C-BOTH')!.disclosed).toEqual(['sub-A', 'sub-B']);
  });
});

describe('reading the access log', () => {
  it('records every read by an auditor, before it is answered: who, what was asked, how many records', async () => {
    const before = (await logRecords(app)).length;
    const page = await app.inject({ url: '/v1/audit?subscriber=sub-A&limit=5', headers: auditor });
    expect(page.statusCode).toBe(200);
    await app.inject({ url: '/v1/audit/verify', headers: auditor });
    const added = (await logRecords(app)).slice(before);
    expect(added).toMatchObject([
      { kind: 'audit-read', user: 'dpo', route: 'GET /v1/audit', query: { subscriber: 'sub-A', limit: 5 }, disclosed: [], details: { records: page.json().records.length } },
      { kind: 'audit-read', user: 'dpo', route: 'GET /v1/audit/verify', disclosed: [], details: { ok: true } },
    ]);
    expect(added[0].tokenId).toMatch(/^[0-9a-f]{12}$/);
    // and an auditor can find who read the log by their user
    const reads = (await app.inject({ url: '/v1/audit?user=dpo', headers: auditor })).json().records;
    expect(reads.length).toBeGreaterThanOrEqual(2);
  });

  it('answers 503 and shows nothing when the read cannot be recorded', async () => {
    await app.inject({ url: `/v1/attribution?${Q_A}&${PURPOSE}`, headers: investigator });
    const heads = await app.redis.hgetall('{audit}:heads');
    await app.redis.del('{audit}:heads');
    await app.redis.set('{audit}:heads', 'not a hash');
    try {
      const r = await app.inject({ url: '/v1/audit', headers: auditor });
      expect(r.statusCode).toBe(503);
      expect(r.body).not.toContain('sub-A');
    } finally {
      await app.redis.del('{audit}:heads');
      await app.redis.hset('{audit}:heads', heads);
    }
  });
});
