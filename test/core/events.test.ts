import { describe, expect, it } from 'vitest';
import { eventFromWire, eventToWire } from '../../events/wire.js';
import { canonicalIp } from '../../core/ip.js';
import { parseIsoInstant } from '../../core/time.js';

describe('canonicalIp', () => {
  it('keeps dotted quads and writes IPv6 in RFC 5952 form', () => {
    expect(canonicalIp('198.51.100.7')).toBe('198.51.100.7');
    expect(canonicalIp('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canonicalIp('::ffff:100.64.1.2')).toBe('100.64.1.2');
  });
  it('rejects shorthands, padded octets and zone ids', () => {
    for (const bad of ['10.1', '0x0a.0.0.1', '010.0.0.1', '256.1.1.1', 'fe80::1%eth0', '', 'a.b.c.d', '1.2.3.4 ']) {
      expect(canonicalIp(bad), bad).toBeNull();
    }
  });
});

describe('parseIsoInstant', () => {
  it('reads Z, offsets and fractions', () => {
    expect(parseIsoInstant('2026-10-25T00:59:58.000Z')).toBe(Date.UTC(2026, 9, 25, 0, 59, 58));
    expect(parseIsoInstant('2026-10-25T02:30:00+02:00')).toBe(Date.UTC(2026, 9, 25, 0, 30));
    expect(parseIsoInstant('2026-10-25T02:30:00.123456+0100')).toBe(Date.UTC(2026, 9, 25, 1, 30, 0, 123));
  });
  it('rejects dates that do not exist and times without a zone', () => {
    expect(parseIsoInstant('2026-02-30T00:00:00Z')).toBeNull();
    expect(parseIsoInstant('2026-10-25T02:30:00')).toBeNull();
    expect(parseIsoInstant('0000-01-01T00:00:00Z')).toBeNull();
  });
});

describe('eventFromWire', () => {
  const nat = {
    kind: 'nat', event: 'alloc', at: '2026-10-25T00:59:58.000Z', natInstance: 'cgn1', publicIp: '198.51.100.7',
    portStart: 1024, portEnd: 1535, privateIp: '100.64.12.34', privateVrf: 'default', protocol: null, allocatedAt: null, source: 'juniper-srx-pba',
  };
  it('round-trips a NAT event', () => {
    const r = eventFromWire(nat);
    expect(r.ok).toBe(true);
    if (r.ok) expect(eventToWire(r.event)).toEqual(nat);
  });
  it('names the field that is wrong', () => {
    const cases: Array<[object, RegExp]> = [
      [{ ...nat, publicIp: '300.1.1.1' }, /publicIp: "300.1.1.1" is not an IPv4 or IPv6 address/],
      [{ ...nat, portEnd: 70000 }, /portEnd/],
      [{ ...nat, portStart: 2000 }, /portStart 2000 is above portEnd 1535/],
      [{ ...nat, at: 'yesterday' }, /at: "yesterday" is not an ISO 8601 instant/],
      [{ ...nat, colour: 'red' }, /unknown field "colour"/],
      [{ ...nat, kind: 'dns' }, /kind must be "nat" or "lease"/],
      [{ kind: 'lease', event: 'start', at: '2026-10-25T00:10:00Z', ip: '100.64.12.34' }, /missing field "subscriberId"|subscriberId/],
    ];
    for (const [input, reason] of cases) {
      const r = eventFromWire(input);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
    }
  });
});
