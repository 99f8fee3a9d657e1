import { beforeAll, describe, expect, it } from 'vitest';
import { HoldStore } from '../../retention/holds.js';
import { purgeAttribution } from '../../retention/purge.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { IndexWriter } from '../../timeindex/writer.js';
import { NOW, PURPOSE, testApp, type TestApp } from '../helpers/app.js';
import { alloc, leaseStart, natStarts, release } from './helpers.js';

// the service's retention is 365 days before NOW (2026-11-23): these records are older
const T = (iso: string) => Date.parse(iso);
const CUTOFF = NOW - 365 * 86_400_000;
const HELD = '203.0.113.5';
const OTHER = '203.0.113.6';

let app: TestApp;
let investigator: { authorization: string };
let holdId: string;

const lookup = (ip: string, at: string) => app.inject({ url: `/v1/attribution?ip=${ip}&port=1100&at=${at}&${PURPOSE}`, headers: investigator });
const purge = () => purgeAttribution({ redis: app.redis, cutoffMs: CUTOFF, holds: new HoldStore(app.redis), log: app.accessLog });

beforeAll(async () => {
  app = await testApp();
  investigator = { authorization: `Bearer ${(await app.tokens.create('ivy', ['investigator'])).token}` };
  const writer = new IndexWriter(app.redis, new ProfileDictionary(app.redis), { days: 36500, now: () => NOW });
  const r = await writer.write([
    alloc(HELD, '100.64.9.1', T('2025-03-01T00:00:00Z')), release(HELD, '100.64.9.1', T('2025-03-01T06:00:00Z')),
    leaseStart('100.64.9.1', 'sub-OLD', T('2025-02-28T20:00:00Z'), T('2025-03-02T00:00:00Z')),
    alloc(OTHER, '100.64.9.2', T('2025-03-01T00:00:00Z')), release(OTHER, '100.64.9.2', T('2025-03-01T06:00:00Z')),
    leaseStart('100.64.9.2', 'sub-OTHER', T('2025-02-28T20:00:00Z'), T('2025-03-02T00:00:00Z')),
    alloc('203.0.113.7', '100.64.9.3', T('2025-05-01T00:00:00Z')),
    leaseStart('100.64.9.3', 'sub-SEVEN', T('2025-04-30T20:00:00Z'), null),
  ]);
  expect(r.failed).toEqual([]);
});

describe('holds over HTTP', () => {
  it('are for admins only', async () => {
    const body = { case: 'C-1', publicIps: [HELD], from: '2025-01-01T00:00:00Z', to: '2025-02-01T00:00:00Z' };
    expect((await app.inject({ method: 'POST', url: '/v1/holds', payload: body })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/v1/holds', headers: investigator, payload: body })).statusCode).toBe(403);
    expect((await app.inject({ url: '/v1/holds', headers: investigator })).statusCode).toBe(403);
    expect((await app.inject({ method: 'DELETE', url: '/v1/holds/0123456789abcdef', headers: investigator })).statusCode).toBe(403);
  });

  it('refuse a request they cannot keep, naming the field', async () => {
    const post = (payload: object) => app.inject({ method: 'POST', url: '/v1/holds', headers: app.auth, payload });
    const base = { case: 'C-1', from: '2025-01-01T00:00:00Z', to: '2025-02-01T00:00:00Z' };
    const cases: Array<[object, RegExp]> = [
      [base, /at least one subscriber id or public address/],
      [{ ...base, publicIps: ['not-an-ip'] }, /publicIps: "not-an-ip" is not an IPv4 or IPv6 address/],
      [{ ...base, subscribers: ['x'], to: 'yesterday' }, /to: "yesterday" is not an ISO 8601 instant/],
      [{ ...base, subscribers: ['x'], colour: 'red' }, /colour: unknown parameter/],
      [{ ...base, case: undefined, subscribers: ['x'] }, /case: required/],
    ];
    for (const [payload, message] of cases) {
      const r = await post(payload);
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.json().message).toMatch(message);
    }
    expect((await app.inject({ method: 'DELETE', url: '/v1/holds/0123456789abcdef', headers: app.auth })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: '/v1/holds/nope', headers: app.auth })).statusCode).toBe(400);
  });

  it('a hold on a subscriber lets any address be asked about over its range', async () => {
    expect((await lookup('203.0.113.7', '2025-05-02T00:00:00Z')).json().status).toBe('outside_retention');
    const r = await app.inject({
      method: 'POST', url: '/v1/holds', headers: app.auth, payload: { case: 'C-7', subscribers: ['sub-SEVEN'], from: '2025-05-01T00:00:00Z', to: '2025-05-03T00:00:00Z' },
    });
    expect(r.statusCode).toBe(201);
    expect((await lookup('203.0.113.7', '2025-05-02T00:00:00Z')).json()).toMatchObject({ status: 'unique', subscriberId: 'sub-SEVEN' });
    expect((await lookup('203.0.113.7', '2025-05-04T00:00:00Z')).json().status).toBe('outside_retention');
    expect((await app.inject({ method: 'DELETE', url: `/v1/holds/${r.json().id}`, headers: app.auth })).statusCode).toBe(200);
    expect((await lookup('203.0.113.7', '2025-05-02T00:00:00Z')).json().status).toBe('outside_retention');
  });

  it('a held instant is answered; an unheld one is outside retention', async () => {
    expect((await lookup(HELD, '2025-03-01T01:00:00Z')).json().status).toBe('outside_retention');
    const r = await app.inject({
      method: 'POST', url: '/v1/holds', headers: app.auth,
      payload: { case: 'C-77', publicIps: [HELD], from: '2025-02-01T00:00:00Z', to: '2025-04-01T00:00:00+02:00', reason: 'preservation order' },
    });
    expect(r.statusCode).toBe(201);
    holdId = r.json().id;
    expect(r.json()).toMatchObject({
      case: 'C-77', reason: 'preservation order', createdBy: 'tester', lifted: null,
      scope: { publicIps: [HELD], subscribers: [], from: '2025-02-01T00:00:00.000Z', to: '2025-03-31T22:00:00.000Z' },
    });
    expect((await lookup(HELD, '2025-03-01T01:00:00Z')).json()).toMatchObject({ status: 'unique', subscriberId: 'sub-OLD' });
    expect((await lookup(OTHER, '2025-03-01T01:00:00Z')).json().status).toBe('outside_retention');
    expect((await lookup(HELD, '2025-04-02T01:00:00Z')).json().status).toBe('outside_retention');
  });

  it('lists holds, lifted ones too unless asked for the active ones', async () => {
    const all = (await app.inject({ url: '/v1/holds', headers: app.auth })).json().holds;
    expect(all.map((h: { case: string }) => h.case)).toEqual(['C-7', 'C-77']);
    const active = (await app.inject({ url: '/v1/holds?active=true', headers: app.auth })).json().holds;
    expect(active.map((h: { id: string }) => h.id)).toEqual([holdId]);
  });

  it('the purge keeps what the hold covers and removes the rest', async () => {
    const r = await purge();
    expect(r.keptByHold).toBe(2);
    expect(await natStarts(app.redis, HELD)).toEqual([T('2025-03-01T00:00:00Z')]);
    expect(await natStarts(app.redis, OTHER)).toEqual([]);
    expect((await lookup(HELD, '2025-03-01T01:00:00Z')).json()).toMatchObject({ status: 'unique', subscriberId: 'sub-OLD' });
  });

  it('lifting is recorded, answers 409 the second time, and lets the next purge remove the records', async () => {
    const r = await app.inject({ method: 'DELETE', url: `/v1/holds/${holdId}?reason=case%20closed`, headers: app.auth });
    expect(r.statusCode).toBe(200);
    expect(r.json().lifted).toMatchObject({ by: 'tester', reason: 'case closed' });
    const again = await app.inject({ method: 'DELETE', url: `/v1/holds/${holdId}`, headers: app.auth });
    expect(again.statusCode).toBe(409);
    expect(again.json().message).toMatch(/was lifted at .* by tester/);
    expect((await lookup(HELD, '2025-03-01T01:00:00Z')).json().status).toBe('outside_retention');
    await purge();
    expect(await natStarts(app.redis, HELD)).toEqual([]);
  });

  it('every hold action and purge is in the access log', async () => {
    const records = (await app.inject({ url: '/v1/audit?limit=100', headers: app.auth })).json().records as Array<{ kind: string; case?: string; details: Record<string, unknown> }>;
    const ours = records.filter((x) => x.kind === 'hold' || x.kind === 'purge').reverse();
    expect(ours.map((x) => [x.kind, x.case ?? null, x.details.action ?? null])).toEqual([
      ['hold', 'C-7', 'create'], ['hold', 'C-7', 'lift'], ['hold', 'C-77', 'create'], ['purge', null, null], ['hold', 'C-77', 'lift'], ['purge', null, null],
    ]);
    expect(ours[2]).toMatchObject({ user: 'tester', route: 'POST /v1/holds', details: { hold: holdId, scope: { publicIps: [HELD] }, reason: 'preservation order' } });
    expect(ours[3].details).toMatchObject({ data: 'attribution', cutoff: new Date(CUTOFF).toISOString(), keptByHold: 2, holds: [holdId] });
    expect(ours[3].details.records).toBeGreaterThan(0);
    expect((await app.inject({ url: '/v1/audit?case=C-77', headers: app.auth })).json().records).toHaveLength(2);
  });
});
