import { describe, expect, it } from 'vitest';
import { mapE } from '../../natconfig/formats/map-e.js';
import { vppDet44 } from '../../natconfig/formats/vpp-det44.js';
import { holdersOf } from '../../natconfig/holders.js';

const rules = <R>(r: { ok: true; rules: R } | { ok: false; errors: unknown }): R => {
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.rules;
};

describe('holdersOf: every inside holder of a public address, for a look-up without a port', () => {
  it('names each host sharing a det44 address once, in port order', () => {
    const r = rules(vppDet44.parse('det44 add in 10.0.0.0/24 out 198.51.100.0/28'));
    const { holders, cut } = holdersOf(vppDet44, r, '198.51.100.1');
    expect(cut).toBe(false);
    expect(holders.map((h) => h.inside)).toEqual(Array.from({ length: 16 }, (_, i) => `10.0.0.${16 + i}`));
    expect(holders[0].ports).toEqual([{ start: 1024, end: 5055 }]);
  });

  it('names every CE of a MAP address, each by its end-user prefix', () => {
    const r = rules(mapE.parse('rule ipv6-prefix 2001:db8::/40 ipv4-prefix 192.0.2.0/24 ea-length 16 psid-offset 6'));
    const { holders } = holdersOf(mapE, r, '192.0.2.18');
    expect(holders).toHaveLength(256);
    expect(new Set(holders.map((h) => h.inside)).size).toBe(256);
    expect(holders[0].inside).toBe('2001:db8:12::/56');
  });

  it('stops at the bound and says so', () => {
    const r = rules(vppDet44.parse('det44 add in 10.0.0.0/24 out 198.51.100.0/28'));
    const { holders, cut } = holdersOf(vppDet44, r, '198.51.100.1', 4);
    expect(cut).toBe(true);
    expect(holders.map((h) => h.inside)).toEqual(['10.0.0.16', '10.0.0.17', '10.0.0.18', '10.0.0.19']);
  });

  it('names no one for an address the rules do not map', () => {
    const r = rules(vppDet44.parse('det44 add in 10.0.0.0/24 out 198.51.100.0/28'));
    expect(holdersOf(vppDet44, r, '198.51.100.200')).toEqual({ holders: [], cut: false });
  });
});
