import { describe, expect, it } from 'vitest';
import { parseLegalBody } from '../../../parse/formats/kea-legal.js';
import { describeParsers, loadExpected, streamFiles } from '../../helpers/lease-conformance.js';

/**
 * The lease parsers on the project's own fixtures (test/fixtures/leases/), hand-written with the
 * quirks real servers write. The same checks run on the real samples in `npm run test:samples`.
 */
const FIXTURES = new URL('../../fixtures/leases/', import.meta.url);
const expected = loadExpected(FIXTURES);

describe('lease parsers on the fixtures', () => {
  it('covers every lease format', () => {
    expect(streamFiles(expected).map((f) => f.split('/')[0] + (f.endsWith('.log') ? ':log' : ''))).toEqual(
      expect.arrayContaining(['isc-dhcpd', 'kea', 'kea:log', 'radius']),
    );
  });

  describeParsers(FIXTURES, expected);

  describe('Kea forensic entry bodies, default and custom formats', () => {
    const bodies: Array<[string, { address: string; lifetime?: number; ids: Record<string, string> }]> = [
      ['Address: 100.64.30.9 has been assigned for 0 hrs 30 mins 0 secs to a device with hardware address: hwtype=1 02:00:5e:30:00:09', { address: '100.64.30.9', lifetime: 1800, ids: { mac: '02:00:5e:30:00:09' } }],
      ['Address: 100.64.30.9 has been released from a device with hardware address: hwtype=1 02:00:5e:30:00:09', { address: '100.64.30.9', ids: { mac: '02:00:5e:30:00:09' } }],
      // a printable client-id is followed by its text in parentheses
      ['Address: 100.64.30.9 has been assigned for 0 hrs 30 mins 0 secs to a device with hardware address: hwtype=1 02:00:5e:30:00:09, client-id: 63:70:65:2d:39 (cpe-9)', { address: '100.64.30.9', lifetime: 1800, ids: { mac: '02:00:5e:30:00:09', clientId: '63:70:65:2d:39' } }],
      ['Address: 100.64.30.9 has been assigned for 0 hrs 30 mins 0 secs to a device with hardware address: hwtype=1 02:00:5e:30:00:09 connected via relay at address: 100.64.30.1, identified by circuit-id: 65:74:68:30:2f:31 (eth0/1)', { address: '100.64.30.9', lifetime: 1800, ids: { mac: '02:00:5e:30:00:09', circuitId: '65:74:68:30:2f:31' } }],
      // the tests' custom request/response format: "for N seconds", no "identified by"
      ['Address: 2001:db8:64:30::9 has been assigned for 1200 seconds to a device with DUID: 00:03:00:01:02:00:5e:30:00:09', { address: '2001:db8:64:30::9', lifetime: 1200, ids: { duid: '00:03:00:01:02:00:5e:30:00:09' } }],
      ['Address: 2001:db8:64:30::9 has been assigned for 0 hrs 20 mins 0 secs to a device with DUID: 00:03:00:01:02:00:5e:30:00:09 and hardware address: hwtype=1 02:00:5e:30:00:09 (from DUID), context: { "isp": { "plan": 7 } }', { address: '2001:db8:64:30::9', lifetime: 1200, ids: { duid: '00:03:00:01:02:00:5e:30:00:09', mac: '02:00:5e:30:00:09' } }],
    ];
    it.each(bodies)('%s', (body, want) => {
      const entry = parseLegalBody(body);
      if (typeof entry === 'string' || entry.kind !== 'lease') throw new Error(`${body}: ${entry}`);
      expect(entry.address).toBe(want.address);
      expect(entry.lifetime).toBe(want.lifetime);
      for (const [k, v] of Object.entries(want.ids)) expect(entry.ids[k as keyof typeof entry.ids], k).toBe(v);
      expect(JSON.stringify(entry.ids)).not.toContain('context');
    });
  });
});
