import { beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalEvent } from '../../events/schema.js';
import { eventToWire } from '../../events/wire.js';
import { nfware } from '../../parse/formats/nfware.js';
import { juniperPba } from '../../parse/formats/juniper-pba.js';
import type { SourceOptions } from '../../schemas/source-config.js';
import { PURPOSE, testApp, type TestApp } from '../helpers/app.js';
import { run } from '../helpers/parse.js';

/**
 * NFWare writes the inside VRF as a number (`VRF 0`), the DHCP server's leases say `default`:
 * stored as written, the allocation's lease is looked for under "0" and never found. A source's
 * vrfMap names it as the index does; an answer that finds no lease shows where it looked.
 */
const line = (vrf: string, inside: string, ports: string) => `<134>Oct 25 10:00:00 vcgnat-2 nat: A VRF ${vrf} INT ${inside} EXT 198.51.100.50:${ports}`;
const LEASES = [
  { kind: 'lease', event: 'start', at: '2026-10-25T06:00:00Z', ip: '100.64.9.1', subscriberId: 'sub-V1', expiresAt: '2026-10-26T00:00:00Z' },
  { kind: 'lease', event: 'start', at: '2026-10-25T06:00:00Z', ip: '100.64.9.2', subscriberId: 'sub-V2', expiresAt: '2026-10-26T00:00:00Z' },
];

function parsed(lines: string[], options: SourceOptions): Record<string, unknown>[] {
  const r = run(nfware, lines, { timezone: 'UTC', year: 2026, ...options });
  expect(r.rejects).toEqual([]);
  return r.events.map(({ line: _line, ...e }) => eventToWire(e as CanonicalEvent));
}

let app: TestApp;
beforeAll(async () => {
  app = await testApp();
  const events = [
    // one box configured without the map, one with it
    ...parsed([line('0', '100.64.9.1', '1024-1535')], { natInstance: 'nf-unmapped' }),
    ...parsed([line('0', '100.64.9.2', '2048-2559')], { natInstance: 'nf-mapped', vrfMap: { 0: 'default' } }),
    ...LEASES,
  ];
  const r = await app.inject({ method: 'POST', url: '/v1/events', headers: app.auth, payload: events });
  expect(r.json()).toEqual({ accepted: events.length, rejected: [] });
});

async function ask(query: string) {
  const r = await app.inject({ url: `/v1/attribution?${query}&${PURPOSE}`, headers: app.auth });
  expect(r.statusCode, r.body).toBe(200);
  return r.json();
}

describe('VRF names mapped per source', () => {
  it('maps the device VRF to the index name at the parser, for NAT records that name one and the default for those that do not', () => {
    expect(run(nfware, [line('0', '100.64.9.2', '2048-2559')], { vrfMap: { 0: 'default' } }).events[0].privateVrf).toBe('default');
    expect(run(nfware, [line('7', '100.64.9.2', '2048-2559')], { vrfMap: { 0: 'default' } }).events[0].privateVrf).toBe('7');
    expect(run(nfware, [line('0', '100.64.9.2', '2048-2559')]).events[0].privateVrf).toBe('0');
    // a record that names no VRF gets the source's vrf, itself mapped
    const srx = '<14>Mar 14 14:26:52 srx-cgn-2 RT_NAT: RT_SRC_NAT_PBA_ALLOC: Subscriber 100.64.60.9 used/maximum [1/8] blocks, allocates port block [8192-8319] from 203.0.113.71 in source pool pool-1 lsys_id: 0';
    expect(run(juniperPba, [srx], { vrf: 'inside', vrfMap: { inside: 'default' } }).events.map((e) => e.privateVrf)).toEqual(['default']);
    expect(run(juniperPba, [srx], { vrf: 'inside' }).events.map((e) => e.privateVrf)).toEqual(['inside']);
  });

  it('finds the subscriber when the source maps its VRF name', async () => {
    const a = await ask('ip=198.51.100.50&port=2100&at=2026-10-25T10:30:00Z');
    expect(a.status).toBe('unique');
    expect(a.subscriberId).toBe('sub-V2');
    expect(a.candidates[0].evidence[0].allocation).toMatchObject({ privateIp: '100.64.9.2', privateVrf: 'default' });
    expect(a.leaseSearches).toBeUndefined();
  });

  it('shows the inside address and VRF it looked for when no lease was found', async () => {
    const a = await ask('ip=198.51.100.50&port=1100&at=2026-10-25T10:30:00Z');
    expect(a.status).toBe('not_found');
    expect(a.reasons).toEqual(expect.arrayContaining(['no_lease', 'no_lease_for_private_ip']));
    expect(a.leaseSearches).toEqual([{
      allocation: expect.objectContaining({ natInstance: 'nf-unmapped', privateIp: '100.64.9.1', privateVrf: '0', portStart: 1024, portEnd: 1535 }),
      ip: '100.64.9.1',
      vrf: '0',
      windowFrom: '2026-10-25T10:29:58.000Z',
      windowTo: '2026-10-25T10:30:02.000Z',
    }]);
  });

  it('shows the public address and direct VRF it looked for when an address with no NAT record has no lease', async () => {
    const a = await ask('ip=198.51.100.77&port=1100&at=2026-10-25T10:30:00Z');
    expect(a.status).toBe('not_found');
    expect(a.reasons).toEqual(expect.arrayContaining(['direct_public_address', 'no_lease']));
    expect(a.leaseSearches).toEqual([{ allocation: null, ip: '198.51.100.77', vrf: 'default', windowFrom: '2026-10-25T10:29:58.000Z', windowTo: '2026-10-25T10:30:02.000Z' }]);
  });
});
