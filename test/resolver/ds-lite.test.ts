import { beforeAll, describe, expect, it } from 'vitest';
import { PURPOSE, testApp, type TestApp } from '../helpers/app.js';

/**
 * Behind a DS-Lite AFTR the NAT log names the B4's IPv6 address as the inside address. The
 * subscriber is whoever held that address: a DHCPv6 IA_NA lease of it, or the delegated prefix
 * (IA_PD) the router numbers itself from.
 */
const nat = (privateIp: string, portStart: number) => ({
  kind: 'nat', event: 'alloc', at: '2026-10-25T08:00:00Z', natInstance: 'aftr1', publicIp: '198.51.100.70', portStart, portEnd: portStart + 511, privateIp,
});
const EVENTS = [
  nat('2001:db8:ffff::17', 1024),
  nat('2001:db8:1200:4::1', 2048),
  nat('2001:db8:9999::1', 3072),
  // the WAN address itself (IA_NA)
  { kind: 'lease', event: 'start', at: '2026-10-25T06:00:00Z', ip: '2001:db8:ffff::17', subscriberId: 'sub-WAN', expiresAt: '2026-10-26T06:00:00Z' },
  // a delegated /56 holding the B4 address
  { kind: 'lease', event: 'start', at: '2026-10-25T06:00:00Z', ip: '2001:db8:1200::', subscriberId: 'sub-PD', expiresAt: '2026-10-26T06:00:00Z', identifiers: { prefix: '2001:db8:1200::/56' } },
];

let app: TestApp;
beforeAll(async () => {
  app = await testApp();
  const r = await app.inject({ method: 'POST', url: '/v1/events', headers: app.auth, payload: EVENTS });
  expect(r.json()).toEqual({ accepted: EVENTS.length, rejected: [] });
});

async function ask(port: number) {
  const r = await app.inject({ url: `/v1/attribution?ip=198.51.100.70&port=${port}&at=2026-10-25T10:00:00Z&${PURPOSE}`, headers: app.auth });
  expect(r.statusCode, r.body).toBe(200);
  return r.json();
}

describe('a DS-Lite allocation, whose inside address is the B4 IPv6 address', () => {
  it('is resolved against the lease of that address', async () => {
    const a = await ask(1100);
    expect(a).toMatchObject({ status: 'unique', subscriberId: 'sub-WAN' });
    expect(a.candidates[0].evidence[0]).toMatchObject({ allocation: { privateIp: '2001:db8:ffff::17' }, lease: { ip: '2001:db8:ffff::17' } });
  });

  it('is resolved against the delegated prefix that holds it, named in the evidence', async () => {
    const a = await ask(2100);
    expect(a).toMatchObject({ status: 'unique', subscriberId: 'sub-PD' });
    expect(a.candidates[0].evidence[0]).toMatchObject({ allocation: { privateIp: '2001:db8:1200:4::1' }, lease: { ip: '2001:db8:1200::/56' } });
  });

  it('says where it looked when no lease holds the B4 address', async () => {
    const a = await ask(3100);
    expect(a.status).toBe('not_found');
    expect(a.leaseSearches).toEqual([expect.objectContaining({ ip: '2001:db8:9999::1', vrf: 'default' })]);
  });
});
