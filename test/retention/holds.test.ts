import { beforeAll, describe, expect, it } from 'vitest';
import { auditPage } from '../../audit/read.js';
import { DomainError } from '../../core/domain-error.js';
import { purgeAttribution } from '../../retention/purge.js';
import { ADMIN, alloc, at, CUTOFF, leaseHolders, leaseStart, natStarts, release, store } from './helpers.js';

type Store = Awaited<ReturnType<typeof store>>;
const iso = (ms: number) => new Date(ms).toISOString();
const purge = (s: Store, dryRun = false) => purgeAttribution({ redis: s.redis, cutoffMs: CUTOFF, holds: s.holds, dryRun, log: s.log });

describe('a hold on a public address', () => {
  let s: Store;
  let id: string;
  const question = { ip: '203.0.113.5', port: 1100, at: iso(at(1, 3)), tolerance: 2 };

  beforeAll(async () => {
    s = await store();
    await s.write([
      alloc('203.0.113.5', '100.64.1.2', at(0, 1)), release('203.0.113.5', '100.64.1.2', at(0, 2)),
      alloc('203.0.113.5', '100.64.1.1', at(1, 1)), release('203.0.113.5', '100.64.1.1', at(1, 5)),
      leaseStart('100.64.1.1', 'sub-Q', at(0, 0), at(0, 1)),
      leaseStart('100.64.1.1', 'sub-H', at(1, 0), at(1, 6)),
      leaseStart('100.64.1.2', 'sub-P', at(0, 0), at(0, 3)),
      alloc('203.0.113.6', '100.64.1.3', at(1, 1)), release('203.0.113.6', '100.64.1.3', at(1, 5)),
      leaseStart('100.64.1.3', 'sub-Z', at(1, 0), at(1, 6)),
      // an address without NAT: its own leases answer for it
      leaseStart('203.0.113.8', 'sub-D', at(1, 0), at(1, 6)),
    ]);
  });

  it('lets a look-up of a held instant be answered; other addresses stay outside retention', async () => {
    expect((await s.resolver.resolve(question)).status).toBe('outside_retention');
    const hold = await s.holds.create({ case: 'C-5', publicIps: ['203.0.113.5', '203.0.113.8'], from: iso(at(1, 0)), to: iso(at(1, 10)), reason: 'court order 17' }, ADMIN, s.log);
    id = hold.id;
    expect(hold).toMatchObject({ case: 'C-5', reason: 'court order 17', scope: { publicIps: ['203.0.113.5', '203.0.113.8'], subscribers: [] }, createdBy: 'admin', lifted: null });
    expect(await s.resolver.resolve(question)).toMatchObject({ status: 'unique', subscriberId: 'sub-H' });
    expect(await s.resolver.resolve({ ...question, ip: '203.0.113.8' })).toMatchObject({ status: 'unique', subscriberId: 'sub-D' });
    expect((await s.resolver.resolve({ ...question, ip: '203.0.113.6' })).status).toBe('outside_retention');
  });

  it('keeps its NAT records over the range and the leases they point to; the rest goes', async () => {
    const before = await s.resolver.resolve(question);
    const dry = await purge(s, true);
    const r = await purge(s);
    expect(r).toMatchObject({ records: dry.records, keptByHold: 3, holds: [id] });
    expect(await leaseHolders(s.redis, '203.0.113.8')).toEqual(['sub-D']);
    expect(await natStarts(s.redis, '203.0.113.5')).toEqual([at(1, 1)]);
    expect(await leaseHolders(s.redis, '100.64.1.1')).toEqual(['sub-H']);
    expect(await leaseHolders(s.redis, '100.64.1.2')).toEqual([]);
    expect(await natStarts(s.redis, '203.0.113.6')).toEqual([]);
    expect(await leaseHolders(s.redis, '100.64.1.3')).toEqual([]);
    expect(await s.resolver.resolve(question)).toEqual(before);
  });

  it('once lifted, answers outside retention and the next purge removes what it kept', async () => {
    const lifted = await s.holds.lift(id, ADMIN, s.log, 'case closed');
    expect(lifted.lifted).toMatchObject({ by: 'admin', reason: 'case closed' });
    await expect(s.holds.lift(id, ADMIN, s.log)).rejects.toMatchObject({ code: 'conflict' });
    expect((await s.resolver.resolve(question)).status).toBe('outside_retention');
    const r = await purge(s);
    expect(r).toMatchObject({ records: 3, keptByHold: 0, holds: [] });
    expect(await leaseHolders(s.redis, '203.0.113.8')).toEqual([]);
    expect(await natStarts(s.redis, '203.0.113.5')).toEqual([]);
    expect(await leaseHolders(s.redis, '100.64.1.1')).toEqual([]);
    expect((await s.holds.list()).map((h) => h.id)).toEqual([id]);
  });

  it('records the hold, its lift and each purge in the access log', async () => {
    const { records } = await auditPage(s.redis, { limit: 20 });
    expect(records.map((r) => [r.kind, r.details?.action ?? null]).reverse()).toEqual([
      ['hold', 'create'], ['purge', null], ['hold', 'lift'], ['purge', null],
    ]);
    expect(records.find((r) => r.kind === 'hold')).toMatchObject({ case: 'C-5', user: 'admin', details: { hold: id } });
  });
});

describe('a hold on a subscriber', () => {
  let s: Store;
  let id: string;
  // sub-N's lease ends a second before sub-S's begins: a look-up at sub-S's start is ambiguous
  const question = { ip: '203.0.113.9', port: 1100, at: iso(at(1, 10) + 500), tolerance: 2 };

  beforeAll(async () => {
    s = await store();
    await s.write([
      alloc('203.0.113.9', '100.64.2.1', at(1, 9)), release('203.0.113.9', '100.64.2.1', at(1, 13)),
      alloc('203.0.113.9', '100.64.2.9', at(0, 1)), release('203.0.113.9', '100.64.2.9', at(0, 2)),
      leaseStart('100.64.2.1', 'sub-F', at(1, 0), at(1, 1)),
      leaseStart('100.64.2.1', 'sub-N', at(1, 9), at(1, 10) - 1000),
      leaseStart('100.64.2.1', 'sub-S', at(1, 10), at(1, 12)),
    ]);
    id = (await s.holds.create({ case: 'C-S', subscribers: ['sub-S'], from: iso(at(1, 10)), to: iso(at(1, 12)) }, ADMIN, s.log)).id;
  });

  it('keeps their leases, those a look-up of theirs would also meet, and the NAT records over the range', async () => {
    const before = await s.resolver.resolve(question);
    expect(before).toMatchObject({ status: 'ambiguous' });
    expect(before.candidates.map((c) => c.subscriberId)).toEqual(['sub-N', 'sub-S']);
    await purge(s);
    expect(await leaseHolders(s.redis, '100.64.2.1')).toEqual(['sub-N', 'sub-S']);
    expect(await natStarts(s.redis, '203.0.113.9')).toEqual([at(1, 9)]);
    // an ambiguous answer stays ambiguous: the purge never turns it into a wrong unique one
    expect(await s.resolver.resolve(question)).toEqual(before);
  });

  it('once lifted, the next purge removes them', async () => {
    await s.holds.lift(id, ADMIN, s.log);
    await purge(s);
    expect(await leaseHolders(s.redis, '100.64.2.1')).toEqual([]);
    expect(await natStarts(s.redis, '203.0.113.9')).toEqual([]);
  });
});

describe('a hold on an IPv6 address inside a delegated prefix', () => {
  it('keeps the prefix\'s lease, which answers for the address, until lifted', async () => {
    const s = await store();
    const prefixLease = { ...leaseStart('2001:db8:1200::', 'sub-V', at(1, 0), at(1, 6)), identifiers: { prefix: '2001:db8:1200::/56' } };
    await s.write([prefixLease, leaseStart('2001:db8:1300::', 'sub-W', at(1, 0), at(1, 6))]);
    const question = { ip: '2001:db8:1200:5::1', port: 443, at: iso(at(1, 3)), tolerance: 2 };
    const hold = await s.holds.create({ case: 'C-6', publicIps: [question.ip], from: iso(at(1, 0)), to: iso(at(1, 10)) }, ADMIN, s.log);
    await purge(s);
    expect(await leaseHolders(s.redis, '2001:db8:1200::/56')).toEqual(['sub-V']);
    expect(await leaseHolders(s.redis, '2001:db8:1300::')).toEqual([]);
    expect(await s.resolver.resolve(question)).toMatchObject({ status: 'unique', subscriberId: 'sub-V' });
    await s.holds.lift(hold.id, ADMIN, s.log);
    await purge(s);
    expect(await leaseHolders(s.redis, '2001:db8:1200::/56')).toEqual([]);
  });
});

describe('hold requests', () => {
  it('are refused, naming the field, when they cannot be kept', async () => {
    const s = await store();
    const base = { case: 'C-1', from: '2025-01-01T00:00:00Z', to: '2025-02-01T00:00:00Z' };
    const cases: Array<[Parameters<Store['holds']['create']>[0], RegExp]> = [
      [base, /at least one subscriber id or public address/],
      [{ ...base, publicIps: ['10.1'] }, /publicIps: "10.1" is not an IPv4 or IPv6 address/],
      [{ ...base, subscribers: ['a'], from: '2025-03-01T00:00:00Z' }, /from: .* is after to/],
      [{ ...base, subscribers: ['a'], to: '2025-02-01' }, /to: "2025-02-01" is not an ISO 8601 instant/],
      [{ ...base, subscribers: ['a\nb'] }, /subscribers: must not contain control characters/],
    ];
    for (const [input, message] of cases) {
      const err = await s.holds.create(input, ADMIN, s.log).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).text).toMatch(message);
    }
    expect(await s.holds.list()).toEqual([]);
    const h = await s.holds.create({ ...base, publicIps: ['2001:DB8::0:1', '2001:db8::1'] }, ADMIN, s.log);
    expect(h.scope.publicIps).toEqual(['2001:db8::1']);
    expect(h.scope.from).toBe('2025-01-01T00:00:00.000Z');
  });
});
