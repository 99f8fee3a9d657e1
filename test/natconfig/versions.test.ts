import type { Redis } from 'ioredis';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DomainError } from '../../core/domain-error.js';
import { NatConfigRegistry } from '../../natconfig/registry.js';
import { natConfigKeys, NatConfigVersions, type VersionView } from '../../natconfig/versions.js';
import type { VersionInput } from '../../natconfig/input.js';
import { testRedis } from '../helpers/redis.js';
import { CONFIG_A, CONFIG_B, CONFIG_OTHER, lineFormat } from './fixture-format.js';

const NOON = '2026-11-02T12:00:00.000Z';
const MORNING = '2026-11-02T00:00:00.000Z';
const registry = new NatConfigRegistry([lineFormat]);

let redis: Redis;
let store: NatConfigVersions;
let recorded: VersionView[];
const who = () => ({ user: 'ops:alice', record: async (v: VersionView) => void recorded.push(v) });
const input = (o: Partial<VersionInput> = {}): VersionInput => ({ instance: 'cgnat-1', format: 'test-lines', text: CONFIG_A, validFrom: MORNING, origin: 'cgnat-1.conf', ...o });

/** What the store refuses, as code, field and message. */
async function refusal(p: Promise<unknown>): Promise<{ code: string; field?: string; message: string }> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(DomainError);
  const d = err as DomainError;
  return { code: d.code, field: d.field, message: d.message };
}

beforeAll(async () => {
  ({ redis } = await testRedis());
});

beforeEach(async () => {
  await redis.del(natConfigKeys.versions, natConfigKeys.gen);
  store = new NatConfigVersions(redis, registry, () => Date.parse('2026-11-20T09:00:00Z'));
  recorded = [];
});

describe('entering a version', () => {
  it('stores the text, its rules and claims, who entered it and when, and records the entry', async () => {
    const v = await store.enter(input(), who());
    expect(v).toMatchObject({
      instance: 'cgnat-1', version: 1, entrySeq: 1, format: 'test-lines', text: CONFIG_A, validFrom: MORNING, validTo: null, supersedes: null, origin: 'cgnat-1.conf',
      enteredBy: 'ops:alice', enteredAt: '2026-11-20T09:00:00.000Z', claims: [{ first: '198.51.100.1', last: '198.51.100.1' }, { first: '198.51.100.2', last: '198.51.100.2' }],
      supersededBy: [], inForceUntil: null,
    });
    expect(v.id).toMatch(/^[0-9a-f]{16}$/);
    expect(v.rules).toEqual([{ inside: '100.64.0.1', publicIp: '198.51.100.1', start: 1024, end: 2047 }, expect.anything(), expect.anything()]);
    expect(recorded.map((r) => r.id)).toEqual([v.id]);
    // another process's store sees it, through Redis alone
    const other = new NatConfigVersions(redis, registry);
    expect(await other.get(v.id)).toEqual(v);
    expect(await other.list()).toEqual([v]);
    // and a reader that has the history in memory sees the next change at its next question
    const w = await store.enter(input({ instance: 'cgnat-2' }), who());
    expect([w.version, w.entrySeq]).toEqual([1, 2]);
    expect((await other.versionsAt('198.51.100.2', Date.parse(NOON))).map((f) => f.version.id)).toEqual([v.id, w.id]);
  });

  it('refuses a version of the same instance whose claimed space overlaps in time, naming the conflicting version, and stores nothing', async () => {
    const a = await store.enter(input(), who());
    const r = await refusal(store.enter(input({ text: CONFIG_B, validFrom: NOON }), who()));
    expect(r.code).toBe('conflict');
    expect(r.message).toContain(`overlaps version 1 of cgnat-1 (id ${a.id}, in force 2026-11-02T00:00:00.000Z .. open, claiming 198.51.100.1)`);
    expect(r.message).toContain(`supersedes ${a.id}`);
    expect(await store.list()).toEqual([a]);
    expect(recorded).toHaveLength(1);
    // a bounded earlier version overlaps as well, at either edge
    const from = await refusal(store.enter(input({ instance: 'cgnat-1', validFrom: '2026-11-01T00:00:00Z', validTo: '2026-11-02T00:00:01Z' }), who()));
    expect(from).toMatchObject({ code: 'conflict' });
    expect(from.message).toContain(`for 2026-11-02T00:00:00.000Z .. 2026-11-02T00:00:01.000Z`);
  });

  it('takes a version that ends where another starts (validTo exclusive), one of disjoint space, and one of another instance', async () => {
    const later = await store.enter(input({ validFrom: NOON }), who());
    const before = await store.enter(input({ validFrom: MORNING, validTo: NOON }), who());
    const disjoint = await store.enter(input({ text: CONFIG_OTHER, validFrom: MORNING }), who());
    const elsewhere = await store.enter(input({ instance: 'cgnat-2', text: CONFIG_B, validFrom: MORNING }), who());
    expect([later.version, before.version, disjoint.version, elsewhere.version]).toEqual([1, 2, 3, 1]);
  });

  it('is never changed: a correction is a new version that supersedes the old one from its validFrom on', async () => {
    const a = await store.enter(input(), who());
    const stored = await redis.hget(natConfigKeys.versions, a.id);
    const b = await store.enter(input({ text: CONFIG_B, validFrom: NOON, supersedes: a.id, origin: 'renumbered.conf' }), who());
    expect(b).toMatchObject({ version: 2, supersedes: a.id, validFrom: NOON, inForceUntil: null });
    expect(await redis.hget(natConfigKeys.versions, a.id)).toBe(stored);
    const old = await store.get(a.id);
    expect(old).toMatchObject({ validTo: null, inForceUntil: NOON, supersededBy: [{ id: b.id, version: 2, at: NOON }] });
    // before noon the old rules answer, from noon on the new ones
    expect((await store.versionsAt('198.51.100.1', Date.parse('2026-11-02T11:59:59.999Z'))).map((f) => f.version.id)).toEqual([a.id]);
    expect((await store.versionsAt('198.51.100.1', Date.parse(NOON))).map((f) => f.version.id)).toEqual([b.id]);
    // .2 is claimed by the old version only, and only until noon
    expect(await store.versionsAt('198.51.100.2', Date.parse(NOON))).toEqual([]);
    // a correction of the whole period: superseding at its very start leaves it never in force
    const c = await store.enter(input({ text: CONFIG_B, validFrom: NOON, supersedes: b.id }), who());
    expect((await store.get(b.id)).inForceUntil).toBe(NOON);
    expect((await store.versionsAt('198.51.100.1', Date.parse(NOON))).map((f) => f.version.id)).toEqual([c.id]);
  });

  it('lets a version superseded already be ended earlier by a bounded version that supersedes it too', async () => {
    const a = await store.enter(input(), who());
    const b = await store.enter(input({ text: CONFIG_B, validFrom: '2026-11-03T00:00:00Z', supersedes: a.id }), who());
    const c = await store.enter(input({ text: CONFIG_B, validFrom: NOON, validTo: '2026-11-03T00:00:00Z', supersedes: a.id }), who());
    expect(await store.get(a.id)).toMatchObject({ inForceUntil: NOON, supersededBy: [{ id: c.id, at: NOON }, { id: b.id, at: '2026-11-03T00:00:00.000Z' }] });
    const at = async (iso: string) => (await store.versionsAt('198.51.100.1', Date.parse(iso))).map((f) => f.version.id);
    expect([await at('2026-11-02T11:00:00Z'), await at('2026-11-02T13:00:00Z'), await at('2026-11-03T01:00:00Z')]).toEqual([[a.id], [c.id], [b.id]]);
  });

  it('refuses a supersession that cannot end what it names', async () => {
    const a = await store.enter(input({ validFrom: NOON }), who());
    const x = await store.enter(input({ instance: 'cgnat-2', validFrom: NOON }), who());
    expect(await refusal(store.enter(input({ validFrom: MORNING, supersedes: a.id }), who()))).toMatchObject({ code: 'conflict', field: 'supersedes' });
    expect(await refusal(store.enter(input({ validFrom: NOON, supersedes: x.id }), who()))).toMatchObject({ code: 'bad_parameter', field: 'supersedes' });
    expect(await refusal(store.enter(input({ validFrom: NOON, supersedes: '0123456789abcdef' }), who()))).toMatchObject({ code: 'not_found', field: 'supersedes' });
    expect(await refusal(store.enter(input({ validFrom: NOON, supersedes: 'v1' }), who()))).toMatchObject({ code: 'bad_parameter', field: 'supersedes' });
    expect(await store.list()).toHaveLength(2);
  });

  it('refuses bad input of every kind with a clear error naming what was wrong', async () => {
    const cases: Array<[Partial<VersionInput>, string, string | undefined, RegExp]> = [
      [{ validFrom: '2026-11-02 12:00' }, 'bad_time', 'validFrom', /not an ISO 8601 instant with Z or an offset/],
      [{ validFrom: '2026-02-30T00:00:00Z' }, 'bad_time', 'validFrom', /2026-02-30/],
      [{ validTo: 'tomorrow' }, 'bad_time', 'validTo', /"tomorrow"/],
      [{ validTo: MORNING }, 'bad_parameter', 'validTo', /is not after validFrom/],
      [{ validTo: '2026-11-01T00:00:00Z' }, 'bad_parameter', 'validTo', /is not after validFrom/],
      [{ format: 'vpp-det45' }, 'bad_parameter', 'format', /"vpp-det45" is not a NAT configuration format .*known: test-lines/],
      [{ instance: '' }, 'bad_parameter', 'instance', /not an instance name/],
      [{ instance: 'a b' }, 'bad_parameter', 'instance', /not an instance name/],
      [{ text: '  \n' }, 'bad_input', 'text', /empty/],
      [{ text: 'x\u0000y' }, 'bad_input', 'text', /NUL byte \(line 1\)/],
      [{ text: `${CONFIG_A}\n100.64.0.9 198.51.100.9\nfoo` }, 'bad_input', 'text', /does not read as test-lines: line 5: .*; line 6: /],
      [{ text: '# only a comment' }, 'bad_input', 'text', /claims no public address/],
      [{ origin: 'a\nb' }, 'bad_parameter', 'origin', /control characters/],
    ];
    for (const [o, code, field, message] of cases) {
      const r = await refusal(store.enter(input(o), who()));
      expect({ ...r, o }).toMatchObject({ code, field, o });
      expect(r.message).toMatch(message);
    }
    expect(await store.list()).toEqual([]);
    expect(recorded).toEqual([]);
  });

  it('takes the version back when the access log cannot record it', async () => {
    const r = await refusal(store.enter(input(), { user: 'ops:alice', record: async () => Promise.reject(new Error('log away')) }));
    expect(r.code).toBe('access_log_unavailable');
    expect(await redis.hlen(natConfigKeys.versions)).toBe(0);
    expect(await new NatConfigVersions(redis, registry).list()).toEqual([]);
    // and the same entry goes through once the log is back
    expect((await store.enter(input(), who())).version).toBe(1);
  });

  it('never takes back a version another one already supersedes', async () => {
    const a = await store.enter(input(), who());
    const b = await store.enter(input({ text: CONFIG_B, validFrom: NOON, supersedes: a.id }), who());
    expect(await redis.natConfigWithdraw(natConfigKeys.versions, natConfigKeys.gen, a.id, `"supersedes":${JSON.stringify(a.id)}`)).toBe('kept');
    expect((await store.list()).map((v) => v.id)).toEqual([a.id, b.id]);
  });

  it('lets exactly one of two overlapping versions entered at once through, from two processes', async () => {
    const one = new NatConfigVersions(redis, registry);
    const two = new NatConfigVersions(redis, registry);
    const results = await Promise.allSettled([one.enter(input(), who()), two.enter(input({ text: CONFIG_B }), who())]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: 'conflict' });
    expect(await store.list()).toHaveLength(1);
  });
});

describe('reading the history', () => {
  let a: VersionView;
  let b: VersionView;
  let c: VersionView;
  let d: VersionView;

  beforeEach(async () => {
    a = await store.enter(input(), who());
    b = await store.enter(input({ text: CONFIG_B, validFrom: NOON, supersedes: a.id }), who());
    c = await store.enter(input({ instance: 'cgnat-2', text: CONFIG_OTHER, validFrom: MORNING, validTo: NOON }), who());
    // a deliberately overlapping configuration of another instance, claiming .1 in the afternoon
    d = await store.enter(input({ instance: 'cgnat-3', text: CONFIG_B, validFrom: '2026-11-02T15:00:00Z' }), who());
  });

  it('lists in order of entry, by instance and by the instant a version was in force', async () => {
    expect((await store.list()).map((v) => v.id)).toEqual([a.id, b.id, c.id, d.id]);
    expect((await store.list({ instance: 'cgnat-1' })).map((v) => v.id)).toEqual([a.id, b.id]);
    expect((await store.list({ atMs: Date.parse('2026-11-02T06:00:00Z') })).map((v) => v.id)).toEqual([a.id, c.id]);
    expect((await store.list({ atMs: Date.parse(NOON) })).map((v) => v.id)).toEqual([b.id]);
    expect((await store.list({ instance: 'cgnat-1', atMs: Date.parse('2026-11-01T00:00:00Z') }))).toEqual([]);
  });

  it('gives every version that claims an address at an instant: none, one, or two in conflict', async () => {
    expect(await store.versionsAt('198.51.100.1', Date.parse('2026-11-01T23:59:59.999Z'))).toEqual([]);
    expect(await store.versionsAt('198.51.100.77', Date.parse(NOON))).toEqual([]);
    expect(await store.versionsAt('2001:db8::1', Date.parse(NOON))).toEqual([]);
    const [one] = await store.versionsAt('203.0.113.9', Date.parse('2026-11-02T06:00:00Z'));
    expect(one).toMatchObject({ version: { id: c.id }, format: lineFormat, problem: null });
    expect(one.format!.reverse(one.rules, '203.0.113.9', 1500)).toMatchObject({ inside: '100.65.0.1' });
    expect((await store.versionsAt('198.51.100.1', Date.parse('2026-11-02T16:00:00Z'))).map((f) => f.version.id)).toEqual([b.id, d.id]);
  });

  it('finds claims of whole ranges at their edges, nested or not', async () => {
    // a format whose every line is a claimed range FIRST-LAST
    const ranges = { ...lineFormat, name: 'test-ranges', parse: (text: string) => ({ ok: true as const, rules: text.split('\n') as never }), claims: (r: string[]) => r.map((x) => ({ first: x.split('-')[0], last: x.split('-')[1] })) };
    const s2 = new NatConfigVersions(redis, new NatConfigRegistry([lineFormat, ranges]));
    const wide = await s2.enter(input({ instance: 'wide', format: 'test-ranges', text: '192.0.2.0-192.0.2.255\n255.255.255.0-255.255.255.255' }), who());
    const inner = await s2.enter(input({ instance: 'inner', format: 'test-ranges', text: '192.0.2.16-192.0.2.31' }), who());
    const at = async (ip: string) => (await s2.versionsAt(ip, Date.parse(NOON))).map((f) => f.version.instance);
    expect(await at('192.0.1.255')).toEqual([]);
    expect(await at('192.0.2.0')).toEqual(['wide']);
    expect(await at('192.0.2.15')).toEqual(['wide']);
    expect(await at('192.0.2.16')).toEqual(['wide', 'inner']);
    expect(await at('192.0.2.31')).toEqual(['wide', 'inner']);
    expect(await at('192.0.2.32')).toEqual(['wide']);
    expect(await at('192.0.2.255')).toEqual(['wide']);
    expect(await at('192.0.3.0')).toEqual([]);
    expect(await at('255.255.255.255')).toEqual(['wide']);
    expect([wide.version, inner.version]).toEqual([1, 1]);
  });

  it('says which versions it cannot compute with, never skipping them', async () => {
    const bare = new NatConfigVersions(redis, new NatConfigRegistry([]));
    const [f] = await bare.versionsAt('203.0.113.9', Date.parse('2026-11-02T06:00:00Z'));
    expect(f).toMatchObject({ version: { id: c.id }, format: null, rules: null, problem: 'format test-lines is not installed here' });
  });

  it('answers an unknown id with not_found naming it', async () => {
    expect(await refusal(store.get('0123456789abcdef'))).toMatchObject({ code: 'not_found', field: 'id', message: expect.stringContaining('"0123456789abcdef"') });
  });
});
