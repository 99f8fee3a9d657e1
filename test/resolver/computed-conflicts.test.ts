import { describe, expect, it } from 'vitest';
import { mapE } from '../../natconfig/formats/map-e.js';
import { vppDet44 } from '../../natconfig/formats/vpp-det44.js';
import type { NatConfigFormat } from '../../natconfig/format.js';
import type { InForce, VersionView } from '../../natconfig/versions.js';
import { computedWindow, contradicts } from '../../resolver/computed.js';

/** What counts as a disagreement between configurations, and between a configuration and a log. */
const HOUR = 3_600_000;
function inForce(format: NatConfigFormat, text: string, from: number, until: number, instance = 'i1'): InForce {
  const r = format.parse(text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const version = { id: `${instance}-${from}`, instance, version: 1, format: format.name, validFrom: new Date(from).toISOString(), inForceUntil: null, validTo: null, supersededBy: [], enteredBy: 't' } as unknown as VersionView;
  return { version, format, rules: r.rules, problem: null, from, until };
}
const MAP = 'rule ipv6-prefix 2001:db8::/40 ipv4-prefix 192.0.2.0/24 ea-length 16 psid-offset 6';
const DET = 'det44 add in 10.0.0.0/24 out 198.51.100.0/28';

describe('computedWindow and contradicts', () => {
  it('two versions in force at one instant of the window conflict; one ending as the other begins do not', () => {
    const a = inForce(vppDet44, DET, 0, 10 * HOUR, 'a');
    const b = inForce(vppDet44, DET, 10 * HOUR, Infinity, 'b');
    expect(computedWindow([a, b], '198.51.100.1', 13130, 10 * HOUR - 2000, 10 * HOUR + 2000).conflict).toBe(false);
    const c = inForce(vppDet44, DET, 9 * HOUR, Infinity, 'c');
    expect(computedWindow([a, c], '198.51.100.1', 13130, 10 * HOUR - 2000, 10 * HOUR + 2000).conflict).toBe(true);
  });

  it('a version that cannot be computed with is a conflict on its own', () => {
    const broken: InForce = { ...inForce(vppDet44, DET, 0, Infinity), format: null, rules: null, problem: 'format vpp-det44 is not installed here' };
    const w = computedWindow([broken], '198.51.100.1', 13130, HOUR, HOUR);
    expect(w).toMatchObject({ conflict: true, holders: [] });
  });

  it('a logged IPv6 inside address within the computed MAP prefix is the same holder; one outside it is not', () => {
    const w = computedWindow([inForce(mapE, MAP, 0, Infinity)], '192.0.2.18', 5000, HOUR, HOUR);
    expect(w.holders.map((h) => h.mapping.inside)).toEqual(['2001:db8:12:e200::/56']);
    const logged = (privateIp: string) => ({ cover: { from: 0, to: 2 * HOUR }, privateIp, portStart: 4096, portEnd: 5119 });
    expect(contradicts(w, logged('2001:db8:12:e2ff::1'), 5000)).toBe(false);
    expect(contradicts(w, logged('2001:db8:12:e300::1'), 5000)).toBe(true);
    expect(contradicts(w, logged('100.64.0.1'), 5000)).toBe(true);
  });

  it('a logged block on a port the formula gives to no host contradicts it; one outside the version\'s period does not', () => {
    const w = computedWindow([inForce(vppDet44, DET, HOUR, Infinity)], '198.51.100.1', 1000, 0, 2 * HOUR);
    expect(w.holders).toEqual([]);
    expect(contradicts(w, { cover: { from: HOUR, to: 2 * HOUR }, privateIp: '10.0.0.5', portStart: 512, portEnd: 1023 }, 1000)).toBe(true);
    expect(contradicts(w, { cover: { from: 0, to: HOUR - 1 }, privateIp: '10.0.0.5', portStart: 512, portEnd: 1023 }, 1000)).toBe(false);
  });
});
