import { beforeAll, describe, expect, it, vi } from 'vitest';
import { auditPage } from '../../audit/read.js';
import type { AuditRecord } from '../../audit/log.js';
import type { TestApp } from '../helpers/app.js';
import { CONFIG_A, CONFIG_B } from './fixture-format.js';
import { natConfigApp } from './helpers.js';

const MORNING = '2026-11-02T00:00:00.000Z';
const NOON = '2026-11-02T12:00:00.000Z';

let app: TestApp;
let investigator: { authorization: string };

const post = (payload: unknown, headers = app.auth) => app.inject({ method: 'POST', url: '/v1/nat-configs', payload: payload as object, headers });
const get = (url: string, headers = app.auth) => app.inject({ url, headers });
const natRecords = async (): Promise<AuditRecord[]> => (await auditPage(app.redis, { limit: 100 })).records.filter((r) => r.kind === 'natconfig').reverse();
const body = (o: Record<string, unknown> = {}) => ({ instance: 'cgnat-1', format: 'test-lines', text: CONFIG_A, validFrom: MORNING, origin: 'cgnat-1.conf', ...o });

beforeAll(async () => {
  app = await natConfigApp();
  investigator = { authorization: `Bearer ${(await app.tokens.create('ivy', ['investigator'])).token}` };
});

describe('/v1/nat-configs', () => {
  let a: { id: string };
  let b: { id: string };

  it('is for admins only, and a refused entry stores nothing', async () => {
    expect((await post(body(), {} as never)).statusCode).toBe(401);
    expect((await post(body(), investigator)).statusCode).toBe(403);
    expect((await get('/v1/nat-configs', investigator)).statusCode).toBe(403);
    expect((await get('/v1/nat-configs/reverse?ip=198.51.100.1&port=1500&at=2026-11-02T06:00:00Z', investigator)).statusCode).toBe(403);
    expect((await get('/v1/nat-configs')).json()).toEqual({ versions: [] });
  });

  it('enters a version, answers 201 with it and its location, and records the entry in the access log', async () => {
    const res = await post(body());
    expect(res.statusCode).toBe(201);
    a = res.json();
    expect(res.headers.location).toBe(`/v1/nat-configs/${a.id}`);
    expect(a).toMatchObject({ instance: 'cgnat-1', version: 1, format: 'test-lines', text: CONFIG_A, validFrom: MORNING, validTo: null, enteredBy: 'tester', origin: 'cgnat-1.conf', supersedes: null });
    expect((await natRecords()).at(-1)).toMatchObject({
      kind: 'natconfig', user: 'tester', route: 'POST /v1/nat-configs', disclosed: [],
      details: { action: 'import', id: a.id, instance: 'cgnat-1', version: 1, format: 'test-lines', validFrom: MORNING, validTo: null, origin: 'cgnat-1.conf', textSha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
  });

  it('refuses an overlapping version with 409 naming the conflicting one, and takes a correction that supersedes it', async () => {
    const before = (await natRecords()).length;
    const clash = await post(body({ text: CONFIG_B, validFrom: NOON }));
    expect(clash.statusCode).toBe(409);
    expect(clash.json().message).toContain(`overlaps version 1 of cgnat-1 (id ${a.id}`);
    expect((await natRecords()).length).toBe(before);
    const res = await post(body({ text: CONFIG_B, validFrom: NOON, supersedes: a.id }));
    expect(res.statusCode).toBe(201);
    b = res.json();
    expect(b).toMatchObject({ version: 2, supersedes: a.id });
    expect((await get(`/v1/nat-configs/${a.id}`)).json()).toMatchObject({ validTo: null, inForceUntil: NOON, supersededBy: [{ id: b.id, version: 2, at: NOON }] });
  });

  it('lists without the text, filtered by instance and by the instant in force', async () => {
    const list = (q: string) => get(`/v1/nat-configs${q}`).then((r) => r.json().versions.map((v: { id: string }) => v.id));
    const all = (await get('/v1/nat-configs')).json().versions;
    expect(all.map((v: { id: string }) => v.id)).toEqual([a.id, b.id]);
    expect(all[0].text).toBeUndefined();
    expect(all[0].rules).toBeUndefined();
    expect(await list('?instance=cgnat-1&at=2026-11-02T06:00:00Z')).toEqual([a.id]);
    expect(await list('?at=2026-11-02T12:00:00%2B00:00')).toEqual([b.id]);
    expect(await list('?instance=cgnat-9')).toEqual([]);
    const one = (await get(`/v1/nat-configs/${b.id}`)).json();
    expect(one).toMatchObject({ id: b.id, text: CONFIG_B, rules: [{ inside: '100.64.0.1', publicIp: '198.51.100.1', start: 4096, end: 5119 }, expect.anything()] });
  });

  it('forward and reverse by the version in force, each recorded', async () => {
    const fwd = await get('/v1/nat-configs/forward?instance=cgnat-1&inside=100.64.0.1&at=2026-11-02T11:59:59Z');
    expect(fwd.statusCode).toBe(200);
    expect(fwd.json()).toMatchObject({ instance: 'cgnat-1', inside: '100.64.0.1', at: '2026-11-02T11:59:59.000Z', answers: [{ id: a.id, version: 1, mapping: { publicIp: '198.51.100.1', ports: [{ start: 1024, end: 2047 }] }, problem: null }] });
    const after = await get('/v1/nat-configs/forward?instance=cgnat-1&inside=100.64.0.1&at=2026-11-02T12:00:00Z');
    expect(after.json().answers).toMatchObject([{ id: b.id, mapping: { ports: [{ start: 4096, end: 5119 }] } }]);
    const rev = await get('/v1/nat-configs/reverse?ip=198.51.100.1&port=4100&at=2026-11-02T13:00:00Z');
    expect(rev.json()).toMatchObject({ ip: '198.51.100.1', port: 4100, conflict: false, answers: [{ id: b.id, version: 2, mapping: { inside: '100.64.0.1', formula: expect.any(String) } }] });
    // a port of no host under the version in force: claimed, but no holder
    const none = await get('/v1/nat-configs/reverse?ip=198.51.100.1&port=1500&at=2026-11-02T13:00:00Z');
    expect(none.json()).toMatchObject({ answers: [{ id: b.id, mapping: null, problem: null }] });
    const recs = (await natRecords()).slice(-4);
    expect(recs.map((r) => [r.route, r.details?.action])).toEqual([
      ['GET /v1/nat-configs/forward', 'forward'], ['GET /v1/nat-configs/forward', 'forward'], ['GET /v1/nat-configs/reverse', 'reverse'], ['GET /v1/nat-configs/reverse', 'reverse'],
    ]);
    expect(recs[2]).toMatchObject({ user: 'tester', query: { ip: '198.51.100.1', port: '4100' }, details: { outcome: 'answered', conflict: false, versions: [{ id: b.id, version: 2, inside: '100.64.0.1' }] } });
  });

  it('reverse names both versions, as a conflict, when two instances claim the address', async () => {
    const c = (await post(body({ instance: 'cgnat-3', text: CONFIG_B, validFrom: '2026-11-02T15:00:00Z' }))).json();
    const rev = (await get('/v1/nat-configs/reverse?ip=198.51.100.1&port=4100&at=2026-11-02T16:00:00Z')).json();
    expect(rev.conflict).toBe(true);
    expect(rev.answers.map((x: { id: string }) => x.id)).toEqual([b.id, c.id]);
  });

  it('answers not found, recorded, when nothing is in force or claims the address', async () => {
    const before = (await natRecords()).length;
    const fwd = await get('/v1/nat-configs/forward?instance=cgnat-1&inside=100.64.0.1&at=2026-11-01T00:00:00Z');
    expect(fwd.statusCode).toBe(404);
    expect(fwd.json().message).toMatch(/no version of instance cgnat-1 is in force at 2026-11-01T00:00:00.000Z/);
    const unknownInside = await get('/v1/nat-configs/forward?instance=cgnat-1&inside=100.64.0.99&at=2026-11-02T06:00:00Z');
    expect(unknownInside.statusCode).toBe(404);
    expect(unknownInside.json().message).toMatch(/^inside: 100\.64\.0\.99 is inside no rule of instance cgnat-1/);
    const rev = await get('/v1/nat-configs/reverse?ip=192.0.2.1&port=1&at=2026-11-02T06:00:00Z');
    expect(rev.statusCode).toBe(404);
    expect(rev.json().message).toMatch(/no NAT configuration version claims 192\.0\.2\.1/);
    expect((await natRecords()).slice(before).map((r) => r.details)).toEqual([
      { action: 'forward', outcome: 'not_found' }, { action: 'forward', outcome: 'not_found' }, { action: 'reverse', outcome: 'not_found' },
    ]);
  });

  it('answers 503 and keeps nothing when the access log cannot record the entry or the comparison', async () => {
    const spy = vi.spyOn(app.accessLog, 'append').mockRejectedValue(new Error('log away'));
    try {
      const res = await post(body({ instance: 'cgnat-8' }));
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json().message).toMatch(/access log could not be written, so the version was not entered/);
      const rev = await get('/v1/nat-configs/reverse?ip=198.51.100.1&port=4100&at=2026-11-02T13:00:00Z');
      expect(rev.statusCode).toBe(503);
      expect(rev.json().message).toMatch(/access log could not be written, so nothing is answered/);
    } finally {
      spy.mockRestore();
    }
    expect((await get('/v1/nat-configs?instance=cgnat-8')).json().versions).toEqual([]);
  });

  it('refuses bad input of every kind with 400 naming it, and an unknown id with 404', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ validFrom: 'yesterday' }, /^validFrom: "yesterday" is not an ISO 8601 instant/],
      [{ validTo: '2026-11-01T00:00:00Z' }, /^validTo: 2026-11-01T00:00:00Z is not after validFrom/],
      [{ format: 'nope' }, /^format: "nope" is not a NAT configuration format this installation knows \(known: test-lines\)/],
      [{ text: 'garbage' }, /^text: the configuration text does not read as test-lines: line 1: /],
      [{ instance: 'bad name' }, /^instance: "bad name" is not an instance name/],
      [{ supersedes: 'xyz' }, /^supersedes: must match pattern/],
      [{ extra: 1 }, /^extra: unknown parameter/],
      [{ text: undefined }, /^text: required/],
      [{ origin: 'a\nb' }, /^origin: must not contain control characters/],
    ];
    for (const [o, message] of cases) {
      const res = await post(body({ instance: 'cgnat-7', ...o }));
      expect({ status: res.statusCode, o }).toEqual({ status: 400, o });
      expect(res.json().message).toMatch(message);
    }
    expect((await get('/v1/nat-configs?instance=cgnat-7')).json().versions).toEqual([]);
    expect((await get('/v1/nat-configs?at=noon')).json().message).toMatch(/^at: "noon" is not an ISO 8601 instant/);
    expect((await get('/v1/nat-configs/0123456789abcdef')).statusCode).toBe(404);
    expect((await get('/v1/nat-configs/0123456789abcdef')).json().message).toMatch(/^id: no NAT configuration version "0123456789abcdef"/);
    expect((await get('/v1/nat-configs/NOT-AN-ID')).statusCode).toBe(400);
    const q = '/v1/nat-configs/reverse?';
    expect((await get(`${q}ip=2001:db8::1&port=1&at=${NOON}`)).json().message).toMatch(/^ip: 2001:db8::1 is IPv6/);
    expect((await get(`${q}ip=10.1&port=1&at=${NOON}`)).json().message).toMatch(/^ip: "10.1" is not an IPv4 address/);
    expect((await get(`${q}ip=198.51.100.1&port=70000&at=${NOON}`)).json().message).toMatch(/^port: "70000" is not a decimal port/);
    expect((await get(`${q}ip=198.51.100.1&port=0x10&at=${NOON}`)).json().message).toMatch(/^port: "0x10"/);
    expect((await get(`${q}ip=198.51.100.1&port=1&at=2026-11-02`)).json().message).toMatch(/^at: "2026-11-02" is not an ISO 8601 instant/);
    expect((await get(`/v1/nat-configs/forward?instance=cgnat-1&inside=100.64.0&at=${NOON}`)).json().message).toMatch(/^inside: "100.64.0" is not an IPv4 or IPv6 address/);
    expect((await get(`/v1/nat-configs/forward?instance=cgnat-1&inside=2001:db8::/129&at=${NOON}`)).json().message).toMatch(/^inside: .*no valid prefix length/);
  });
});
