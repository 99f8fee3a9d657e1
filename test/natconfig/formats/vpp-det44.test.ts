import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { u32ToIpv4 } from '../../../core/ip.js';
import { vppDet44 } from '../../../natconfig/formats/vpp-det44.js';
import { expectReverseHolds, expectRoundTrip, parsed, portsOf, refused } from './properties.js';

const rulesOf = (text: string) => parsed(vppDet44, text);

describe('vpp-det44: the examples of VPP\'s own documentation and tests', () => {
  // det44_cli.c documents `det44 add in 10.0.0.0/18 out 1.1.1.0/30`, `det44 forward 10.0.0.2`
  // → `1.1.1.0:<1054-1068>` and `det44 reverse 1.1.1.1:1276` → `10.0.16.16`. The page does not say
  // the two look-ups ran on that mapping; they agree with it (ratio 4096, 15 ports per host) and
  // with no other power-of-two ratio, so they are checked against it.
  const cli = rulesOf('det44 add in 10.0.0.0/18 out 1.1.1.0/30\n');

  it('det44 forward 10.0.0.2 is 1.1.1.0:<1054-1068> (det44_cli.c)', () => {
    const m = vppDet44.forward(cli, '10.0.0.2');
    expect(m).toMatchObject({ inside: '10.0.0.2', publicIp: '1.1.1.0', ports: [{ start: 1054, end: 1068 }] });
    expect(m!.formula).toContain('sharing ratio 4096, 15 ports per host');
  });

  it('det44 reverse 1.1.1.1:1276 is 10.0.16.16 (det44_cli.c)', () => {
    expect(vppDet44.reverse(cli, '1.1.1.1', 1276)?.inside).toBe('10.0.16.16');
  });

  it('show det44 mappings: in 10.0.0.0/24 out 1.1.1.1/32 shares 256 ways, 252 ports per host (det44_cli.c)', () => {
    const rules = rulesOf('det44 add in 10.0.0.0/24 out 1.1.1.1/32');
    expect(rules.maps[0]).toMatchObject({ ratio: 256, portsPerHost: 252 });
    expect(vppDet44.forward(rules, '10.0.0.255')?.ports).toEqual([{ start: 1024 + 252 * 255, end: 65535 }]);
  });

  it('test_det44.py test_deterministic_mode: forward, then reverse of the highest port, gives the host back', () => {
    const rules = rulesOf('det44 add in 172.16.255.0/24 out 172.17.255.50/32');
    const m = vppDet44.forward(rules, '172.16.255.20')!;
    expect(m.publicIp).toBe('172.17.255.50');
    expect(vppDet44.reverse(rules, m.publicIp, m.ports[0].end)?.inside).toBe('172.16.255.20');
  });
});

describe('vpp-det44: hand-worked cases', () => {
  // 100.64.0.0/24 over 198.51.100.0/28: ratio 256 / 16 = 16, 64512 / 16 = 4032 ports per host
  const rules = rulesOf('# pool A\ndet44 add in 100.64.0.0/24 out 198.51.100.0/28\n');

  it('forward 100.64.0.37: offset 37 → 198.51.100.2, host 5 of 16 → 21184-25215', () => {
    expect(vppDet44.forward(rules, '100.64.0.37')).toMatchObject({ publicIp: '198.51.100.2', ports: [{ start: 21184, end: 25215 }] });
  });

  it('reverse 198.51.100.2:23000 → 2 × 16 + (23000 - 1024) / 4032 = 37 → 100.64.0.37', () => {
    expect(vppDet44.reverse(rules, '198.51.100.2', 23000)?.inside).toBe('100.64.0.37');
  });

  it('the last host of each outside address ends exactly at 65535; the first starts at 1024', () => {
    expect(vppDet44.forward(rules, '100.64.0.15')?.ports).toEqual([{ start: 61504, end: 65535 }]);
    expect(vppDet44.forward(rules, '100.64.0.16')).toMatchObject({ publicIp: '198.51.100.1', ports: [{ start: 1024, end: 5055 }] });
  });

  it('ports below 1024 belong to no host', () => {
    expect(vppDet44.reverse(rules, '198.51.100.2', 1023)).toBeNull();
    expect(vppDet44.reverse(rules, '198.51.100.2', 0)).toBeNull();
  });

  it('when the ratio does not divide 64512, the ports above the last host belong to no host', () => {
    // ratio 4096: 15 ports each cover 1024-62463; VPP's arithmetic would name a host of the next address
    expect(vppDet44.reverse(cli(), '1.1.1.0', 62463)?.inside).toBe('10.0.15.255');
    expect(vppDet44.reverse(cli(), '1.1.1.0', 62464)).toBeNull();
    expect(vppDet44.reverse(cli(), '1.1.1.0', 65535)).toBeNull();
  });

  it('addresses and ports outside every mapping have no holder', () => {
    expect(vppDet44.forward(rules, '100.64.1.0')).toBeNull();
    expect(vppDet44.forward(rules, 'fd00::1')).toBeNull();
    expect(vppDet44.reverse(rules, '198.51.100.16', 2000)).toBeNull();
    expect(vppDet44.reverse(rules, '198.51.100.2', 65536)).toBeNull();
    expect(vppDet44.reverse(rules, '198.51.100.2', 2000.5)).toBeNull();
  });

  it('a prefix written with host bits is masked, as VPP stores it', () => {
    const masked = rulesOf('det44 add out 1.1.1.1/30 in 10.0.0.5/24');
    expect(vppDet44.forward(masked, '10.0.0.0')).toMatchObject({ publicIp: '1.1.1.0', ports: [{ start: 1024, end: 1024 + 1008 - 1 }] });
    expect(vppDet44.claims(masked)).toEqual([{ first: '1.1.1.0', last: '1.1.1.3' }]);
  });

  it('several mappings: each address is looked up in its own', () => {
    const two = rulesOf('det44 add in 10.0.0.0/24 out 1.1.1.0/32\ndet44 add in 10.0.1.0/25 out 1.1.2.0/31\n');
    expect(vppDet44.forward(two, '10.0.1.1')).toMatchObject({ publicIp: '1.1.2.0', ports: [{ start: 2032, end: 3039 }] });
    expect(vppDet44.reverse(two, '1.1.2.1', 1024)?.inside).toBe('10.0.1.64');
    expect(vppDet44.claims(two)).toEqual([{ first: '1.1.1.0', last: '1.1.1.0' }, { first: '1.1.2.0', last: '1.1.2.1' }]);
  });

  it('a one-to-one mapping gives each host all 64512 ports', () => {
    const one = rulesOf('det44 add in 10.9.0.0/32 out 192.0.2.9/32');
    expect(vppDet44.forward(one, '10.9.0.0')?.ports).toEqual([{ start: 1024, end: 65535 }]);
  });
});

function cli() {
  return rulesOf('det44 add in 10.0.0.0/18 out 1.1.1.0/30');
}

describe('vpp-det44: every malformed line is refused, naming the line and what was wrong', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['not a det44 line', 'nat44 add address 1.1.1.1', /expected "det44 add in/],
    ['del', 'det44 add in 10.0.0.0/24 out 1.1.1.0/32 del', /"del" removes a mapping/],
    ['unknown word', 'det44 add in 10.0.0.0/24 out 1.1.1.0/32 vrf 2', /unknown word "vrf"/],
    ['missing out', 'det44 add in 10.0.0.0/24', /"out <addr>\/<plen>" is missing/],
    ['missing in', 'det44 add out 1.1.1.0/32', /"in <addr>\/<plen>" is missing/],
    ['in without value', 'det44 add out 1.1.1.0/32 in', /"in" needs/],
    ['in twice', 'det44 add in 10.0.0.0/24 in 10.0.1.0/24 out 1.1.1.0/32', /"in" is given twice/],
    ['no length', 'det44 add in 10.0.0.0 out 1.1.1.0/32', /in: "10.0.0.0" is not an IPv4 prefix \(no \/length\)/],
    ['bad address', 'det44 add in 10.0.0.256/24 out 1.1.1.0/32', /in: "10.0.0.256\/24" is not an IPv4 prefix/],
    ['octal-looking address', 'det44 add in 10.0.0.010/24 out 1.1.1.0/32', /is not an IPv4 prefix/],
    ['bad length', 'det44 add in 10.0.0.0/33 out 1.1.1.0/32', /no valid prefix length/],
    ['signed length', 'det44 add in 10.0.0.0/+24 out 1.1.1.0/32', /no valid prefix length/],
    ['IPv6', 'det44 add in fd00::/120 out 1.1.1.0/32', /is not an IPv4 prefix/],
    ['a /0', 'det44 add in 0.0.0.0/0 out 1.1.1.0/32', /a \/0 prefix/],
    ['more outside than inside', 'det44 add in 10.0.0.0/28 out 1.1.1.0/24', /sharing ratio would be 0/],
    ['fewer than one port a host', 'det44 add in 10.0.0.0/8 out 1.1.1.0/24', /65536 hosts: fewer than one port each/],
    ['fewer than one port a host, one address', 'det44 add in 10.0.0.0/16 out 1.1.1.1/32', /65536 hosts/],
  ];
  for (const [what, line, message] of cases) {
    it(what, () => {
      const errors = refused(vppDet44, `det44 add in 10.200.0.0/24 out 9.9.9.0/32\n\n${line}\n`);
      expect(errors).toHaveLength(1);
      expect(errors[0].line).toBe(3);
      expect(errors[0].message).toMatch(message);
    });
  }

  it('every bad line is reported, not only the first, in line order', () => {
    const errors = refused(vppDet44, 'det44 add in 10.0.0.0/33 out 1.1.1.0/32\ndet44 add in 10.0.1.0/24 out 1.1.2.0/32\nhello\n');
    expect(errors.map((e) => e.line)).toEqual([1, 3]);
  });

  it('overlapping inside or outside prefixes are refused, naming the earlier line', () => {
    const inside = refused(vppDet44, 'det44 add in 10.0.0.0/24 out 1.1.1.0/32\ndet44 add in 10.0.0.128/25 out 1.1.2.0/32');
    expect(inside).toEqual([{ line: 2, message: expect.stringMatching(/in 10.0.0.128\/25 overlaps in 10.0.0.0\/24 of line 1/) }]);
    const outside = refused(vppDet44, 'det44 add in 10.0.0.0/24 out 1.1.1.0/30\ndet44 add in 10.0.1.0/24 out 1.1.1.2/32');
    expect(outside).toEqual([{ line: 2, message: expect.stringMatching(/out 1.1.1.2\/32 overlaps out 1.1.1.0\/30 of line 1/) }]);
  });

  it('a control character is refused on its line', () => {
    expect(refused(vppDet44, 'det44 add in 10.0.0.0/24 out 1.1.1.0/32\ndet44 add in 10.0.1.0/24\u0000 out 1.1.2.0/32')).toEqual([
      { line: 2, message: 'contains a control character' },
    ]);
  });

  it('a text with no mapping is refused rather than read as an empty configuration', () => {
    expect(refused(vppDet44, '# nothing here\n\n')[0].message).toMatch(/maps nothing/);
  });
});

describe('vpp-det44: properties', () => {
  // every inside and outside length pair a det44 mapping accepts, ratios 1 to 32768
  const config = fc
    .record({ inLen: fc.integer({ min: 1, max: 32 }), ratioBits: fc.integer({ min: 0, max: 15 }), inBase: fc.integer({ min: 0, max: 2 ** 32 - 1 }), outBase: fc.integer({ min: 0, max: 2 ** 32 - 1 }) })
    .filter(({ inLen, ratioBits }) => inLen + ratioBits <= 32);

  it('reverse(forward(x)) is x for every port of its set, so no two hosts share a (public, port)', () => {
    fc.assert(
      fc.property(config, fc.nat(), ({ inLen, ratioBits, inBase, outBase }, pick) => {
        const rules = rulesOf(`det44 add in ${u32ToIpv4(inBase)}/${inLen} out ${u32ToIpv4(outBase)}/${inLen + ratioBits}`);
        const map = rules.maps[0];
        const inside = u32ToIpv4(map.inside.base + (pick % map.inside.size));
        const m = expectRoundTrip(vppDet44, rules, inside);
        expect(portsOf(m)).toHaveLength(map.portsPerHost);
      }),
      { numRuns: 60 },
    );
  });

  it('whoever reverse names holds that port by forward', () => {
    fc.assert(
      fc.property(config, fc.nat(), fc.integer({ min: 0, max: 65535 }), ({ inLen, ratioBits, inBase, outBase }, pick, port) => {
        const rules = rulesOf(`det44 add in ${u32ToIpv4(inBase)}/${inLen} out ${u32ToIpv4(outBase)}/${inLen + ratioBits}`);
        const out = rules.maps[0].outside;
        expectReverseHolds(vppDet44, rules, u32ToIpv4(out.base + (pick % out.size)), port);
      }),
      { numRuns: 500 },
    );
  });

  it('exhaustively, on a small mapping, every (public, port) has at most one holder and the unheld are exactly the no-host ports', () => {
    const rules = rulesOf('det44 add in 10.1.0.0/20 out 192.0.2.0/31'); // ratio 2048: 31 ports each, 64512 - 63488 left over
    const holder = new Map<string, string>();
    const shared: string[] = [];
    for (let i = 0; i < 4096; i++) {
      const inside = u32ToIpv4(rules.maps[0].inside.base + i);
      const m = vppDet44.forward(rules, inside)!;
      for (const port of portsOf(m)) {
        const key = `${m.publicIp}:${port}`;
        if (holder.has(key)) shared.push(key);
        holder.set(key, inside);
      }
    }
    expect(shared).toEqual([]);
    const wrong: string[] = [];
    for (const ip of ['192.0.2.0', '192.0.2.1']) {
      for (let port = 0; port <= 65535; port++) {
        const named = vppDet44.reverse(rules, ip, port)?.inside ?? null;
        if (named !== (holder.get(`${ip}:${port}`) ?? null)) wrong.push(`${ip}:${port} → ${named}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(holder.size).toBe(2 * 2048 * 31);
  });
});
