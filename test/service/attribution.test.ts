import { beforeAll, describe, expect, it } from 'vitest';
import { PURPOSE, testApp, type TestApp } from '../helpers/app.js';
import { SMALL_ISP } from '../helpers/events.js';

/**
 * One small ISP, 2026-10-25 (the night Copenhagen leaves summer time):
 * 198.51.100.7 block 1024-1535: 100.64.0.1 from 00:00 to 01:00 (released), then 100.64.0.2 (open).
 * 198.51.100.7 block 1536-2047: 100.64.0.3 from 00:00, open, and no lease is known for it.
 * 198.51.100.9 block 1024-1535: 100.64.1.1 from 00:00, release lost; 100.64.1.2 from 02:00.
 * Leases: 100.64.0.1 sub-A; 100.64.0.2 sub-B until 01:30, then sub-C (the address reused);
 * 100.64.1.1 sub-E; 100.64.1.2 sub-F; 198.51.100.8 (no NAT: a public address) sub-D.
 */
const events = [
  ...SMALL_ISP,
  { kind: 'nat', event: 'alloc', at: '2026-10-25T00:00:00Z', natInstance: 'cgn1', publicIp: '198.51.100.9', portStart: 1024, portEnd: 1535, privateIp: '100.64.1.1' },
  { kind: 'nat', event: 'alloc', at: '2026-10-25T02:00:00Z', natInstance: 'cgn1', publicIp: '198.51.100.9', portStart: 1024, portEnd: 1535, privateIp: '100.64.1.2' },
  { kind: 'lease', event: 'start', at: '2026-10-24T20:00:00Z', ip: '100.64.1.1', subscriberId: 'sub-E', expiresAt: '2026-10-26T00:00:00Z' },
  { kind: 'lease', event: 'start', at: '2026-10-24T20:00:00Z', ip: '100.64.1.2', subscriberId: 'sub-F', expiresAt: '2026-10-26T00:00:00Z' },
  // IPv6 without NAT: two delegated prefixes and one single address
  { kind: 'lease', event: 'start', at: '2026-10-24T20:00:00Z', ip: '2001:db8:1200::', subscriberId: 'sub-P', expiresAt: '2026-10-26T00:00:00Z', identifiers: { prefix: '2001:db8:1200::/56' } },
  { kind: 'lease', event: 'start', at: '2026-10-24T20:00:00Z', ip: '2001:db8:1300::', subscriberId: 'sub-Q', expiresAt: '2026-10-26T00:00:00Z', identifiers: { prefix: '2001:db8:1300::/64' } },
  { kind: 'lease', event: 'start', at: '2026-10-24T20:00:00Z', ip: '2001:db8:1400::7', subscriberId: 'sub-R', expiresAt: '2026-10-26T00:00:00Z' },
];

let app: TestApp;
beforeAll(async () => {
  app = await testApp({ WHOHAD_INTERIM_INTERVAL_S: '3600' });
  const r = await app.inject({ method: 'POST', url: '/v1/events', headers: app.auth, payload: events });
  expect(r.json()).toEqual({ accepted: events.length, rejected: [] });
});

async function ask(query: string) {
  const r = await app.inject({ url: `/v1/attribution?${query}&${PURPOSE}`, headers: app.auth });
  expect(r.statusCode, r.body).toBe(200);
  const a = r.json();
  return { ...a, who: a.candidates.map((c: { subscriberId: string }) => c.subscriberId) };
}

describe('statuses', () => {
  it('unique: one subscriber through complete evidence', async () => {
    const a = await ask('ip=198.51.100.7&port=1100&at=2026-10-25T00:30:00Z');
    expect(a.status).toBe('unique');
    expect(a.subscriberId).toBe('sub-A');
    expect(a.reasons).toEqual(['end_inferred']);
    const ev = a.candidates[0].evidence[0];
    expect(ev.allocation).toMatchObject({ natInstance: 'cgn1', privateIp: '100.64.0.1', start: '2026-10-25T00:00:00.000Z', end: '2026-10-25T01:00:00.000Z', endBasis: 'released', source: 'canonical' });
    expect(ev.lease).toMatchObject({ ip: '100.64.0.1', subscriberId: 'sub-A', end: '2026-10-26T00:00:00.000Z', endBasis: 'scheduled' });
  });

  it('ambiguous: the tolerance window crosses a handover', async () => {
    const a = await ask('ip=198.51.100.7&port=1100&at=2026-10-25T01:00:01Z&tolerance=2');
    expect(a.status).toBe('ambiguous');
    expect(a.subscriberId).toBeNull();
    expect(a.who).toEqual(['sub-A', 'sub-B']);
    expect(a.reasons).toContain('tolerance_crossing');
  });

  it('not_found with no_allocation when no block held the port then', async () => {
    const a = await ask('ip=198.51.100.7&port=1100&at=2026-10-24T12:00:00Z');
    expect(a.status).toBe('not_found');
    expect(a.reasons).toEqual(['no_allocation']);
  });

  it('not_found with no_lease when the inside address had no lease', async () => {
    const a = await ask('ip=198.51.100.7&port=1600&at=2026-10-25T00:30:00Z');
    expect(a.status).toBe('not_found');
    expect(a.reasons).toEqual(expect.arrayContaining(['no_lease', 'no_lease_for_private_ip']));
  });

  it('outside_retention without touching data', async () => {
    const a = await ask('ip=198.51.100.7&port=1100&at=2024-01-01T00:00:00Z');
    expect(a.status).toBe('outside_retention');
    expect(a.candidates).toEqual([]);
  });
});

describe('intervals are half-open', () => {
  it('gives the instant of a handover to the new holder', async () => {
    expect((await ask('ip=198.51.100.7&port=1100&at=2026-10-25T01:00:00.000Z&tolerance=0')).who).toEqual(['sub-B']);
    expect((await ask('ip=198.51.100.7&port=1100&at=2026-10-25T00:59:59.999Z&tolerance=0')).who).toEqual(['sub-A']);
  });

  it('holds the first and last port of a block and not the next', async () => {
    expect((await ask('ip=198.51.100.7&port=1024&at=2026-10-25T00:30:00Z')).who).toEqual(['sub-A']);
    expect((await ask('ip=198.51.100.7&port=1535&at=2026-10-25T00:30:00Z')).who).toEqual(['sub-A']);
    expect((await ask('ip=198.51.100.7&port=1023&at=2026-10-25T00:30:00Z')).status).toBe('not_found');
  });
});

describe('records that end or change', () => {
  it('closes a holding whose release was lost at the next allocation (superseded)', async () => {
    const before = await ask('ip=198.51.100.9&port=1100&at=2026-10-25T01:00:00Z');
    expect(before.who).toEqual(['sub-E']);
    expect(before.candidates[0].evidence[0].allocation).toMatchObject({ end: '2026-10-25T02:00:00.000Z', endBasis: 'superseded' });
    expect(before.reasons).toContain('end_inferred');
    expect((await ask('ip=198.51.100.9&port=1100&at=2026-10-25T02:30:00Z')).who).toEqual(['sub-F']);
  });

  it('follows a private address leased to another subscriber', async () => {
    expect((await ask('ip=198.51.100.7&port=1100&at=2026-10-25T01:20:00Z')).who).toEqual(['sub-B']);
    const after = await ask('ip=198.51.100.7&port=1100&at=2026-10-25T01:45:00Z');
    expect(after.who).toEqual(['sub-C']);
    expect(after.reasons).toEqual(expect.arrayContaining(['open_interval']));
  });

  it('reports a log gap when an open block has not been restated for longer than the interim interval', async () => {
    const a = await ask('ip=198.51.100.7&port=1100&at=2026-10-25T05:00:00Z');
    expect(a.status).toBe('unique');
    expect(a.reasons).toEqual(expect.arrayContaining(['log_gap', 'open_interval']));
  });
});

describe('queries', () => {
  it('without a port names everyone sharing the address, and says the port is missing', async () => {
    const a = await ask('ip=198.51.100.9&at=2026-10-25T02:30:00Z');
    expect(a.status).toBe('unique');
    expect(a.reasons).toContain('port_missing');
    const b = await ask('ip=198.51.100.7&at=2026-10-25T00:30:00Z');
    expect(b.status).toBe('ambiguous');
    expect(b.who).toEqual(['sub-A']);
    expect(b.reasons).toEqual(expect.arrayContaining(['port_missing', 'no_lease_for_private_ip']));
  });

  it('reads the repeated DST hour in Copenhagen as both instants', async () => {
    const a = await ask('ip=198.51.100.7&port=1100&at=2026-10-25T02:30:00&tz=Europe/Copenhagen&tolerance=0');
    expect(a.instants.map((i: { utc: string }) => i.utc)).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z']);
    expect(a.instants.map((i: { local: string }) => i.local)).toEqual(['2026-10-25T02:30:00.000+02:00', '2026-10-25T02:30:00.000+01:00']);
    expect(a.status).toBe('ambiguous');
    expect(a.who).toEqual(['sub-A', 'sub-C']);
    expect(a.reasons).toContain('ambiguous_local_time');
    expect(a.query.at).toBe('2026-10-25T02:30:00');
  });

  it('refuses the skipped DST hour in Copenhagen', async () => {
    const r = await app.inject({ url: `/v1/attribution?ip=198.51.100.7&port=1100&at=2026-03-29T02:30:00&tz=Europe/Copenhagen&${PURPOSE}`, headers: app.auth });
    expect(r.statusCode).toBe(400);
    expect(r.json().message).toMatch(/never happened in Europe\/Copenhagen/);
  });

  it('takes epoch seconds and milliseconds', async () => {
    expect((await ask('ip=198.51.100.7&port=1100&at=1792888200')).who).toEqual(['sub-A']);
    expect((await ask('ip=198.51.100.7&port=1100&at=1792888200000')).who).toEqual(['sub-A']);
  });

  it('resolves a public address that no NAT record covers directly against leases', async () => {
    const a = await ask('ip=198.51.100.8&port=443&at=2026-10-25T00:30:00Z');
    expect(a.status).toBe('unique');
    expect(a.subscriberId).toBe('sub-D');
    expect(a.candidates[0].evidence[0].allocation).toBeNull();
    expect(a.reasons).toEqual(expect.arrayContaining(['direct_public_address', 'open_interval']));
  });

  it('finds the delegated IPv6 prefix that holds an address, and names the prefix in the evidence', async () => {
    const at = 'at=2026-10-25T00:30:00Z&port=443';
    const inside = await ask(`ip=2001:db8:1200:ff::1&${at}`);
    expect(inside).toMatchObject({ status: 'unique', subscriberId: 'sub-P' });
    expect(inside.candidates[0].evidence[0].lease).toMatchObject({ ip: '2001:db8:1200::/56', subscriberId: 'sub-P' });
    expect((await ask(`ip=2001:db8:1200::&${at}`)).who).toEqual(['sub-P']);
    expect((await ask(`ip=2001:db8:1300::9&${at}`)).who).toEqual(['sub-Q']);
    // 2001:db8:1300:1::/64 shares its /56 network with sub-Q's /64 but is not in it
    expect(await ask(`ip=2001:db8:1300:1::9&${at}`)).toMatchObject({ status: 'not_found', who: [] });
    // a single address is held as itself, not as a prefix
    expect((await ask(`ip=2001:db8:1400::7&${at}`)).who).toEqual(['sub-R']);
    expect(await ask(`ip=2001:db8:1400::8&${at}`)).toMatchObject({ status: 'not_found', who: [] });
  });

  it('reads IPv4-mapped IPv6 as the IPv4 address', async () => {
    expect((await ask('ip=::ffff:198.51.100.7&port=1100&at=2026-10-25T00:30:00Z')).who).toEqual(['sub-A']);
  });
});

describe('malformed input gets 400 naming what is wrong', () => {
  const cases: Array<[string, RegExp]> = [
    ['ip=300.1.1.1&port=1100&at=2026-10-25T00:30:00Z', /^ip: "300.1.1.1" is not an IPv4 or IPv6 address/],
    ['ip=198.51.100.7&port=70000&at=2026-10-25T00:30:00Z', /port: must be <= 65535/],
    ['ip=198.51.100.7&port=abc&at=2026-10-25T00:30:00Z', /port: must be integer/],
    ['ip=198.51.100.7&port=1100&at=yesterday', /^at: "yesterday" is not a time/],
    ['ip=198.51.100.7&port=1100&at=2026-10-25T02:30:00', /has no zone: add Z or an offset, or give tz/],
    ['ip=198.51.100.7&port=1100&at=2026-10-25T02:30:00&tz=Mars/Olympus', /^tz: unknown time zone "Mars\/Olympus"/],
    ['ip=198.51.100.7&port=1100', /at: required/],
    ['ip=198.51.100.7&port=1100&at=2026-10-25T00:30:00Z&tolerance=-1', /tolerance: must be >= 0/],
    ['ip=198.51.100.7&at=2026-10-25T00:30:00Z&colour=red', /colour: unknown parameter/],
  ];
  it.each(cases)('%s', async (query, message) => {
    const r = await app.inject({ url: `/v1/attribution?${query}&${PURPOSE}`, headers: app.auth });
    expect(r.statusCode).toBe(400);
    expect(r.json().message).toMatch(message);
  });
});

describe('POST /v1/events', () => {
  it('stores the good lines of an NDJSON body and lists the bad ones with their reason', async () => {
    const body = [
      JSON.stringify({ kind: 'lease', event: 'start', at: '2026-10-25T03:00:00Z', ip: '100.64.9.9', subscriberId: 'sub-Z' }),
      '{"kind": "lease", "event": ',
      JSON.stringify({ kind: 'nat', event: 'alloc', at: '2026-10-25T03:00:00Z', publicIp: '198.51.100.77', portStart: 2000, portEnd: 1000, privateIp: '100.64.9.9' }),
      '',
      JSON.stringify({ kind: 'lease', event: 'start', at: '2001-01-01T00:00:00Z', ip: '100.64.9.9', subscriberId: 'sub-Z' }),
    ].join('\n');
    const r = await app.inject({ method: 'POST', url: '/v1/events', headers: { ...app.auth, 'content-type': 'application/x-ndjson' }, payload: body });
    expect(r.statusCode).toBe(200);
    const out = r.json();
    expect(out.accepted).toBe(1);
    expect(out.rejected.map((x: { line: number }) => x.line)).toEqual([2, 3, 5]);
    expect(out.rejected[0].reason).toMatch(/^not JSON/);
    expect(out.rejected[1].reason).toBe('portStart 2000 is above portEnd 1000');
    expect(out.rejected[2].reason).toMatch(/older than the retention period of 365 days/);
  });

  it('answers 413 with the limit for a body over it', async () => {
    const small = await testApp({ WHOHAD_BODY_LIMIT_BYTES: '1024' });
    const r = await small.inject({ method: 'POST', url: '/v1/events', headers: { ...small.auth, 'content-type': 'application/x-ndjson' }, payload: 'x'.repeat(2000) });
    expect(r.statusCode).toBe(413);
    expect(r.json().message).toMatch(/larger than the limit of 1024 bytes/);
  });

  it('answers 400 for a JSON body that does not parse', async () => {
    const r = await app.inject({ method: 'POST', url: '/v1/events', headers: { ...app.auth, 'content-type': 'application/json' }, payload: '[{"kind":' });
    expect(r.statusCode).toBe(400);
  });
});
