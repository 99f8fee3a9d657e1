import { beforeAll, describe, expect, it } from 'vitest';
import { PURPOSE, testApp, type TestApp } from '../helpers/app.js';

/**
 * A generated day on a deterministic NAT whose configuration changes at noon, asked through the
 * service: the NAT hop is computed from the version in force at the instant (its evidence names
 * the version and formula), two versions claiming one address at once or a logged allocation
 * naming another holder make the answer ambiguous with config_conflict, and MAP-E leads from a
 * public address and port to the CE's delegated prefix and its subscriber.
 */
const DAY = '2026-11-02';
const at = (hhmm: string) => `${DAY}T${hhmm}:00Z`;

// version 1: 256 inside addresses over 16 public ones (ratio 16, 4032 ports each)
const A = 'det44 add in 10.0.0.0/24 out 198.51.100.0/28\n';
// version 2 from noon: the pool doubled (ratio 8, 8064 ports each)
const B = 'det44 add in 10.0.0.0/24 out 198.51.100.0/27\n';
// a second device, entered by mistake over part of version 2's pool for an hour
const C = 'det44 add in 10.1.0.0/24 out 198.51.100.16/28\n';
const MAP = 'rule ipv6-prefix 2001:db8::/40 ipv4-prefix 192.0.2.0/24 ea-length 16 psid-offset 6\n';

const lease = (ip: string, subscriberId: string, identifiers?: Record<string, string>) => ({
  kind: 'lease', event: 'start', at: `${DAY}T00:00:00Z`, ip, subscriberId, expiresAt: '2026-11-03T00:00:00Z', ...(identifiers ? { identifiers } : {}),
});
const block = (publicIp: string, privateIp: string) => ({
  kind: 'nat', event: 'alloc', at: at('13:00'), natInstance: 'cgnat-1', publicIp, portStart: 13000, portEnd: 13511, privateIp,
});
const EVENTS = [
  lease('10.0.0.19', 'sub-morning'),
  lease('10.0.0.9', 'sub-afternoon'),
  lease('10.0.0.137', 'sub-v2'),
  lease('10.1.0.19', 'sub-other-device'),
  lease('10.0.0.17', 'sub-computed'),
  lease('10.0.0.250', 'sub-logged'),
  lease('10.0.0.25', 'sub-agreed'),
  // the logged block names another holder than version 2's formula: 10.0.0.17
  block('198.51.100.2', '10.0.0.250'),
  // the logged block names the holder version 2 computes
  block('198.51.100.3', '10.0.0.25'),
  lease('2001:db8:12:e200::', 'sub-map', { prefix: '2001:db8:12:e200::/56' }),
  lease('2001:db8:12:e300::', 'sub-map-neighbour', { prefix: '2001:db8:12:e300::/56' }),
];

let app: TestApp;
const versions: Record<string, { id: string; version: number }> = {};

const enter = async (name: string, o: Record<string, unknown>) => {
  const r = await app.inject({ method: 'POST', url: '/v1/nat-configs', headers: app.auth, payload: { format: 'vpp-det44', validFrom: `${DAY}T00:00:00Z`, ...o } });
  expect(r.statusCode, r.body).toBe(201);
  versions[name] = r.json();
};

async function ask(ip: string, port: number | null, when: string) {
  const r = await app.inject({ url: `/v1/attribution?ip=${ip}${port === null ? '' : `&port=${port}`}&at=${when}&${PURPOSE}`, headers: app.auth });
  expect(r.statusCode, r.body).toBe(200);
  return r.json();
}

beforeAll(async () => {
  app = await testApp();
  const r = await app.inject({ method: 'POST', url: '/v1/events', headers: app.auth, payload: EVENTS });
  expect(r.json()).toEqual({ accepted: EVENTS.length, rejected: [] });
  await enter('A', { instance: 'cgnat-1', text: A });
  await enter('B', { instance: 'cgnat-1', text: B, validFrom: at('12:00'), supersedes: versions.A.id });
  await enter('C', { instance: 'cgnat-2', text: C, validFrom: at('15:00'), validTo: at('16:00') });
  await enter('MAP', { instance: 'map-br', format: 'map-e', text: MAP });
});

describe('a deterministic NAT whose configuration changed at noon', () => {
  it('answers the morning by version 1, naming it, its formula, the inside address and the ports', async () => {
    const a = await ask('198.51.100.1', 13130, at('09:00'));
    // the leases' scheduled expiry is their end (end_inferred); nothing of the NAT hop qualifies it
    expect(a).toMatchObject({ status: 'unique', subscriberId: 'sub-morning', reasons: ['end_inferred'] });
    const allocation = a.candidates[0].evidence[0].allocation;
    expect(allocation).toMatchObject({
      id: `natconfig:${versions.A.id}|198.51.100.1|13120-17151`,
      natInstance: 'cgnat-1', publicIp: '198.51.100.1', portStart: 13120, portEnd: 17151, privateIp: '10.0.0.19', privateVrf: 'default',
      start: `${DAY}T00:00:00.000Z`, end: `${DAY}T12:00:00.000Z`, endBasis: 'superseded', source: 'natconfig:vpp-det44', ingest: null,
    });
    expect(allocation.configuration).toMatchObject({ id: versions.A.id, instance: 'cgnat-1', version: 1, format: 'vpp-det44', inside: '10.0.0.19', ports: [{ start: 13120, end: 17151 }] });
    expect(allocation.configuration.formula).toMatch(/sharing ratio 16, 4032 ports per host; inside offset 19/);
  });

  it('answers the afternoon by version 2', async () => {
    const a = await ask('198.51.100.1', 13130, at('14:00'));
    expect(a).toMatchObject({ status: 'unique', subscriberId: 'sub-afternoon' });
    expect(a.candidates[0].evidence[0].allocation).toMatchObject({ privateIp: '10.0.0.9', endBasis: 'open', end: null, configuration: { id: versions.B.id, version: 2 } });
  });

  it('names both holders when the tolerance window crosses the change at noon', async () => {
    const r = await app.inject({ url: `/v1/attribution?ip=198.51.100.1&port=13130&at=${at('12:00')}&tolerance=5&${PURPOSE}`, headers: app.auth });
    const a = r.json();
    expect(a.status).toBe('ambiguous');
    expect(a.candidates.map((c: { subscriberId: string }) => c.subscriberId)).toEqual(['sub-afternoon', 'sub-morning']);
    expect(a.reasons).toContain('tolerance_crossing');
    expect(a.reasons).not.toContain('config_conflict');
  });

  it('answers an address two instances claim at once as ambiguous with config_conflict, keeping both holders', async () => {
    const a = await ask('198.51.100.17', 13130, at('15:30'));
    expect(a.status).toBe('ambiguous');
    expect(a.subscriberId).toBeNull();
    expect(a.reasons).toContain('config_conflict');
    expect(a.candidates.map((c: { subscriberId: string }) => c.subscriberId)).toEqual(['sub-other-device', 'sub-v2']);
    const ids = a.candidates.map((c: { evidence: Array<{ allocation: { configuration: { id: string } } }> }) => c.evidence[0].allocation.configuration.id);
    expect(ids.sort()).toEqual([versions.B.id, versions.C.id].sort());
    // outside the hour of the second device (and the tolerance around it), version 2 alone answers
    expect(await ask('198.51.100.17', 13130, at('16:05'))).toMatchObject({ status: 'unique', subscriberId: 'sub-v2', reasons: ['end_inferred'] });
  });

  it('answers ambiguous with config_conflict when a logged allocation names another holder than the formula', async () => {
    const a = await ask('198.51.100.2', 13130, at('14:00'));
    expect(a.status).toBe('ambiguous');
    expect(a.reasons).toContain('config_conflict');
    expect(a.candidates.map((c: { subscriberId: string }) => c.subscriberId)).toEqual(['sub-computed', 'sub-logged']);
    // before the block was logged the formula alone answers
    expect(await ask('198.51.100.2', 13130, at('12:30'))).toMatchObject({ status: 'unique', subscriberId: 'sub-computed' });
  });

  it('answers unique when the logged allocation and the formula name the same holder, with both as evidence', async () => {
    const a = await ask('198.51.100.3', 13130, at('14:00'));
    expect(a).toMatchObject({ status: 'unique', subscriberId: 'sub-agreed' });
    expect(a.reasons).not.toContain('config_conflict');
    const ids = a.candidates[0].evidence.map((e: { allocation: { id: string } }) => e.allocation.id);
    expect(ids).toHaveLength(2);
    expect(ids.filter((id: string) => id.startsWith('natconfig:'))).toEqual([`natconfig:${versions.B.id}|198.51.100.3|9088-17151`]);
  });

  it('names no one for a port that belongs to no host under the formula', async () => {
    expect(await ask('198.51.100.1', 1000, at('14:00'))).toMatchObject({ status: 'not_found', reasons: ['no_allocation'], candidates: [] });
  });

  it('answers an instant outside every version and every logged record as not_found / no_allocation', async () => {
    expect(await ask('198.51.100.1', 13130, '2026-11-01T23:00:00Z')).toMatchObject({ status: 'not_found', reasons: ['no_allocation'], candidates: [] });
  });

  it('without a port names every holder of the address under the version in force', async () => {
    const a = await ask('198.51.100.1', null, at('14:00'));
    expect(a.status).toBe('ambiguous');
    expect(a.reasons).toEqual(expect.arrayContaining(['port_missing', 'no_lease_for_private_ip']));
    // ratio 8: inside offsets 8 to 15; only 10.0.0.9 has a lease, the others are searched and named
    expect(a.candidates.map((c: { subscriberId: string }) => c.subscriberId)).toEqual(['sub-afternoon']);
    expect(a.leaseSearches.map((s: { ip: string }) => s.ip).sort()).toEqual(['10.0.0.10', '10.0.0.11', '10.0.0.12', '10.0.0.13', '10.0.0.14', '10.0.0.15', '10.0.0.8']);
    expect(a.candidates[0].evidence[0].allocation).toMatchObject({ portStart: 9088, portEnd: 17151 });
  });
});

describe('MAP-E', () => {
  it('leads from the public address and port to the CE prefix, its delegated-prefix lease and the subscriber', async () => {
    const a = await ask('192.0.2.18', 5000, at('10:00'));
    expect(a).toMatchObject({ status: 'unique', subscriberId: 'sub-map', reasons: ['end_inferred'] });
    const e = a.candidates[0].evidence[0];
    expect(e.allocation).toMatchObject({ privateIp: '2001:db8:12:e200::/56', portStart: 5000, portEnd: 5003, configuration: { id: versions.MAP.id, format: 'map-e', inside: '2001:db8:12:e200::/56' } });
    expect(e.allocation.configuration.ports).toHaveLength(63);
    expect(e.allocation.configuration.formula).toMatch(/PSID 226 \(0xe2\)/);
    expect(e.lease).toMatchObject({ ip: '2001:db8:12:e200::/56', subscriberId: 'sub-map' });
  });

  it('names no one for a port below the PSID offset (no CE holds it)', async () => {
    expect(await ask('192.0.2.18', 1000, at('10:00'))).toMatchObject({ status: 'not_found', reasons: ['no_allocation'] });
  });

  it('says which prefix it searched when no delegated prefix holds the CE prefix', async () => {
    const a = await ask('192.0.2.19', 5000, at('10:00'));
    expect(a.status).toBe('not_found');
    expect(a.reasons).toContain('no_lease_for_private_ip');
    expect(a.leaseSearches).toEqual([expect.objectContaining({ ip: '2001:db8:13:e200::/56', vrf: 'default' })]);
  });
});
