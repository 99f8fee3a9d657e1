import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { u32ToIpv4 } from '../../../core/ip.js';
import { mapE } from '../../../natconfig/formats/map-e.js';
import { psidPorts } from '../../../natconfig/formats/map-rule.js';
import { mapT } from '../../../natconfig/formats/map-t.js';
import { bigToV6 } from '../../../natconfig/formats/prefixes.js';
import { expectReverseHolds, expectRoundTrip, parsed, portsOf, refused } from './properties.js';

const RULE = 'rule ipv6-prefix 2001:db8::/40 ipv4-prefix 192.0.2.0/24 ea-length 16\n';
// the 63 ranges of PSID 0x34 with offset 6: A · 1024 + 0x34 · 4 + j, A = 1 … 63
const PSID_34 = Array.from({ length: 63 }, (_, i) => ({ start: (i + 1) * 1024 + 208, end: (i + 1) * 1024 + 211 }));

for (const format of [mapE, mapT]) {
  describe(`${format.name}: the worked examples of RFC 7597 / RFC 7599 Appendix A`, () => {
    const rules = parsed(format, RULE);

    it('example 1, BMR: 2001:db8:0012:3400::/56 has 192.0.2.18, PSID 0x34, ports 1232-1235, 2256-2259 … 63696-63699, 64720-64723', () => {
      const m = format.forward(rules, '2001:db8:0012:3400::/56')!;
      expect(m.inside).toBe('2001:db8:12:3400::/56');
      expect(m.publicIp).toBe('192.0.2.18');
      expect(m.ports).toEqual(PSID_34);
      expect(m.ports.slice(0, 2)).toEqual([{ start: 1232, end: 1235 }, { start: 2256, end: 2259 }]);
      expect(m.ports.slice(-2)).toEqual([{ start: 63696, end: 63699 }, { start: 64720, end: 64723 }]);
      expect(m.formula).toContain('PSID 52 (0x34)');
      expect(m.formula).toContain('MAP CE address 2001:db8:12:3400:0:c000:212:34');
    });

    it('example 2, BR: 192.0.2.18 port 1232 is PSID 0x34, the CE 2001:db8:0012:3400:0000:c000:0212:0034 of 2001:db8:12:3400::/56', () => {
      const m = format.reverse(rules, '192.0.2.18', 1232)!;
      expect(m.inside).toBe('2001:db8:12:3400::/56');
      expect(m.formula).toContain('MAP CE address 2001:db8:12:3400:0:c000:212:34');
    });

    it('example 4, no EA bits and no sharing: rule 2001:db8:0012:3400::/56 192.0.2.1/32 gives the CE the whole address', () => {
      // RFC 7599's text prints "IPv4 address: 192.0.2.18" here, against its own rule prefix
      // 192.0.2.1/32 and CE address …:c000:0201:0000; the rule is followed
      const one = parsed(format, 'rule ipv6-prefix 2001:db8:0012:3400::/56 ipv4-prefix 192.0.2.1/32 ea-length 0');
      const m = format.forward(one, '2001:db8:12:3400::/56')!;
      expect(m).toMatchObject({ inside: '2001:db8:12:3400::/56', publicIp: '192.0.2.1', ports: [{ start: 0, end: 65535 }] });
      expect(m.formula).toContain('MAP CE address 2001:db8:12:3400:0:c000:201:0');
      expect(format.reverse(one, '192.0.2.1', 80)?.inside).toBe('2001:db8:12:3400::/56');
    });

    it('example 5, no EA bits with sharing: PSID 0x34 (erratum 5324) provisioned with the rule, the ports of example 1', () => {
      const shared = parsed(format, 'rule ipv6-prefix 2001:db8:0012:3400::/56 ipv4-prefix 192.0.2.18/32 ea-length 0 psid-offset 6 psid-length 8 psid 0x34');
      const m = format.forward(shared, '2001:db8:12:3400::/56')!;
      expect(m).toMatchObject({ publicIp: '192.0.2.18', ports: PSID_34 });
      expect(m.formula).toContain('MAP CE address 2001:db8:12:3400:0:c000:212:34');
      expect(format.reverse(shared, '192.0.2.18', 64723)?.inside).toBe('2001:db8:12:3400::/56');
      expect(format.reverse(shared, '192.0.2.18', 64724)).toBeNull();
    });
  });
}

describe('map-e: hand-worked cases', () => {
  const rules = parsed(mapE, RULE);

  it('an address or a longer prefix inside the end-user prefix maps like the prefix; a shorter one spans CEs and has no single holder', () => {
    expect(mapE.forward(rules, '2001:db8:12:3400:0:c000:212:34')?.inside).toBe('2001:db8:12:3400::/56');
    expect(mapE.forward(rules, '2001:db8:12:34ff::/64')?.publicIp).toBe('192.0.2.18');
    expect(mapE.forward(rules, '2001:db8:12::/48')).toBeNull();
    expect(mapE.forward(rules, '2001:db9::/56')).toBeNull();
    expect(mapE.forward(rules, '192.0.2.18')).toBeNull();
  });

  it('ports 0-1023 belong to no CE under offset 6; the next port after a PSID\'s range is the next PSID\'s', () => {
    expect(mapE.reverse(rules, '192.0.2.18', 80)).toBeNull();
    expect(mapE.reverse(rules, '192.0.2.18', 1023)).toBeNull();
    expect(mapE.reverse(rules, '192.0.2.18', 1024)?.inside).toBe('2001:db8:12::/56');
    expect(mapE.reverse(rules, '192.0.2.18', 1236)?.inside).toBe('2001:db8:12:3500::/56');
    expect(mapE.reverse(rules, '192.0.3.18', 1232)).toBeNull();
  });

  it('a /24 with 12 EA bits and /60 end-user prefixes (4-bit PSID): 2001:db8:100:120::/60 is 10.11.11.1, PSID 2', () => {
    const nokia = parsed(mapE, 'rule ipv6-prefix 2001:db8:100::/48 ipv4-prefix 10.11.11.0/24 ea-length 12');
    const m = mapE.forward(nokia, '2001:db8:100:120::/60')!;
    expect(m.publicIp).toBe('10.11.11.1');
    expect(m.ports).toHaveLength(63);
    expect(m.ports[0]).toEqual({ start: 1152, end: 1215 });
    expect(portsOf(m)).toHaveLength(4032);
  });

  it('EA bits that are the whole IPv4 suffix: one CE an address, all its ports', () => {
    const full = parsed(mapE, 'rule ipv6-prefix 2001:db8:ff00::/40 ipv4-prefix 198.51.100.0/24 ea-length 8');
    expect(mapE.forward(full, '2001:db8:ff07::/48')).toMatchObject({ publicIp: '198.51.100.7', ports: [{ start: 0, end: 65535 }] });
    expect(mapE.reverse(full, '198.51.100.7', 22)?.inside).toBe('2001:db8:ff07::/48');
  });

  it('psid-offset 0 gives each PSID one contiguous range, from port 0', () => {
    const flat = parsed(mapE, 'rule ipv6-prefix 2001:db8:ff00::/40 ipv4-prefix 198.51.100.0/24 ea-length 12 psid-offset 0');
    expect(mapE.forward(flat, '2001:db8:ff00:1000::/52')?.ports).toEqual([{ start: 4096, end: 8191 }]);
    expect(mapE.reverse(flat, '198.51.100.0', 0)?.inside).toBe('2001:db8:ff00::/52');
  });

  it('several rules, and rules of one address with different PSIDs, claim their IPv4 space', () => {
    const many = parsed(
      mapE,
      [
        RULE.trim(),
        'rule ipv6-prefix 2001:db8:aa00::/56 ipv4-prefix 203.0.113.9/32 ea-length 0 psid-length 4 psid 1',
        'rule ipv6-prefix 2001:db8:aa00:100::/56 ipv4-prefix 203.0.113.9/32 ea-length 0 psid-length 4 psid 2',
      ].join('\n'),
    );
    expect(mapE.claims(many)).toEqual([
      { first: '192.0.2.0', last: '192.0.2.255' },
      { first: '203.0.113.9', last: '203.0.113.9' },
      { first: '203.0.113.9', last: '203.0.113.9' },
    ]);
    // offset 6, 4-bit PSID: A · 1024 + PSID · 64 + j
    expect(mapE.reverse(many, '203.0.113.9', 5 * 1024 + 2 * 64 + 1)?.inside).toBe('2001:db8:aa00:100::/56');
    expect(mapE.reverse(many, '203.0.113.9', 1024 + 64)?.inside).toBe('2001:db8:aa00::/56');
    expect(mapE.reverse(many, '203.0.113.9', 1024 + 3 * 64)).toBeNull();
  });
});

describe('map-e: every malformed line is refused, naming the line and what was wrong', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['not a rule', 'bmr 2001:db8::/40 192.0.2.0/24 16', /expected "rule ipv6-prefix/],
    ['unknown key', 'rule ipv6-prefix 2001:db8::/40 ipv4-prefix 192.0.2.0/24 ea-length 16 br 2001:db8::1', /unknown word "br"/],
    ['key without value', 'rule ipv6-prefix 2001:db8::/40 ipv4-prefix 192.0.2.0/24 ea-length', /"ea-length" needs a value/],
    ['key twice', 'rule ipv6-prefix 2001:db8::/40 ipv6-prefix 2001:db9::/40 ipv4-prefix 192.0.2.0/24 ea-length 16', /"ipv6-prefix" is given twice/],
    ['missing ea-length', 'rule ipv6-prefix 2001:db8::/40 ipv4-prefix 192.0.2.0/24', /"ea-length" is missing/],
    ['missing ipv4-prefix', 'rule ipv6-prefix 2001:db8::/40 ea-length 16', /"ipv4-prefix" is missing/],
    ['bad IPv6 prefix', 'rule ipv6-prefix 2001:zz8::/40 ipv4-prefix 192.0.2.0/24 ea-length 16', /ipv6-prefix: .* is not an IPv6 address or prefix/],
    ['IPv6 without length', 'rule ipv6-prefix 2001:db8:: ipv4-prefix 192.0.2.0/24 ea-length 16', /ipv6-prefix: needs a \/length/],
    ['IPv6 host bits', 'rule ipv6-prefix 2001:db8:1::/40 ipv4-prefix 192.0.2.0/24 ea-length 16', /bits set beyond \/40 \(the prefix is 2001:db8::\/40\)/],
    ['IPv4 host bits', 'rule ipv6-prefix 2001:db8::/40 ipv4-prefix 192.0.2.1/24 ea-length 16', /bits set beyond \/24/],
    ['bad IPv4 prefix', 'rule ipv6-prefix 2001:db8::/40 ipv4-prefix 192.0.2/24 ea-length 16', /ipv4-prefix: .* is not an IPv4 prefix/],
    ['EA length too long', 'rule ipv6-prefix 2001::/16 ipv4-prefix 192.0.2.0/24 ea-length 49', /ea-length: "49" is not a number of bits from 0 to 48/],
    ['end-user prefix beyond /64', 'rule ipv6-prefix 2001:db8::/56 ipv4-prefix 192.0.2.0/24 ea-length 16', /longer than \/64/],
    ['prefix per CE', 'rule ipv6-prefix 2001:db8::/40 ipv4-prefix 192.0.2.0/24 ea-length 4', /4 EA bits are fewer than the 8 bits .* not supported/],
    ['PSID over 16 bits', 'rule ipv6-prefix 2001:d00::/24 ipv4-prefix 192.0.2.0/24 ea-length 25', /PSID of 17 bits/],
    ['contradicting psid-length', 'rule ipv6-prefix 2001:db8::/40 ipv4-prefix 192.0.2.0/24 ea-length 16 psid-length 6', /psid-length 6 contradicts the EA bits: 16 - \(32 - 24\) = 8/],
    ['psid with EA bits', 'rule ipv6-prefix 2001:db8::/40 ipv4-prefix 192.0.2.0/24 ea-length 16 psid 3', /PSID of a rule with EA bits comes from each CE/],
    ['no EA bits, not a /32', 'rule ipv6-prefix 2001:db8::/56 ipv4-prefix 192.0.2.0/24 ea-length 0', /must be a \/32, not \/24/],
    ['no EA bits, PSID length without PSID', 'rule ipv6-prefix 2001:db8::/56 ipv4-prefix 192.0.2.1/32 ea-length 0 psid-length 8', /needs "psid"/],
    ['PSID too wide', 'rule ipv6-prefix 2001:db8::/56 ipv4-prefix 192.0.2.1/32 ea-length 0 psid-length 4 psid 0x34', /psid: "0x34" is not a 4-bit PSID \(0 to 15\)/],
    ['PSID without length', 'rule ipv6-prefix 2001:db8::/56 ipv4-prefix 192.0.2.1/32 ea-length 0 psid 1', /without a psid-length/],
    ['bad offset', 'rule ipv6-prefix 2001:db8::/40 ipv4-prefix 192.0.2.0/24 ea-length 16 psid-offset 16', /psid-offset: "16" is not/],
    ['offset and PSID too wide', 'rule ipv6-prefix 2001:db8::/40 ipv4-prefix 192.0.2.0/24 ea-length 20 psid-offset 6', /psid-offset 6 and a 12-bit PSID exceed/],
  ];
  for (const [what, line, message] of cases) {
    it(what, () => {
      const errors = refused(mapE, `${RULE}# next\n${line}\n`);
      expect(errors).toEqual([{ line: 3, message: expect.stringMatching(message) }]);
    });
  }

  it('overlapping rule IPv6 prefixes are refused, naming the earlier line', () => {
    const errors = refused(mapE, `${RULE}rule ipv6-prefix 2001:db8:12::/48 ipv4-prefix 198.51.100.0/24 ea-length 16`);
    expect(errors).toEqual([{ line: 2, message: expect.stringMatching(/2001:db8:12::\/48 overlaps 2001:db8::\/40 of line 1/) }]);
  });

  it('rules that give one address and port to two CEs are refused; the same address with other PSIDs is not', () => {
    const errors = refused(mapE, `${RULE}rule ipv6-prefix 2001:db9::/56 ipv4-prefix 192.0.2.18/32 ea-length 0 psid-length 8 psid 0x34`);
    expect(errors).toEqual([{ line: 2, message: expect.stringMatching(/192.0.2.18\/32 and its ports overlap those of line 1/) }]);
  });

  it('a text with no rule is refused', () => {
    expect(refused(mapE, '\n# empty\n')[0].message).toMatch(/maps nothing/);
  });
});

describe('map-e and map-t: properties', () => {
  const rule = fc
    .record({
      n: fc.integer({ min: 16, max: 48 }),
      r: fc.integer({ min: 8, max: 32 }),
      k: fc.integer({ min: 0, max: 10 }),
      a: fc.integer({ min: 0, max: 6 }),
      v6: fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
      v4: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    })
    .filter(({ n, r, k, a }) => n + (32 - r) + k <= 64 && a + k <= 16);

  const text = ({ n, r, k, a, v6, v4 }: { n: number; r: number; k: number; a: number; v6: bigint; v4: number }) => {
    const base6 = (v6 >> BigInt(128 - n)) << BigInt(128 - n);
    const base4 = v4 - (v4 % 2 ** (32 - r));
    return `rule ipv6-prefix ${bigToV6(base6)}/${n} ipv4-prefix ${u32ToIpv4(base4)}/${r} ea-length ${32 - r + k} psid-offset ${a}`;
  };

  for (const format of [mapE, mapT]) {
    it(`${format.name}: reverse(forward(x)) covers x for every port of its set`, () => {
      fc.assert(
        fc.property(rule, fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (r, host) => {
          const rules = parsed(format, text(r));
          const rule0 = rules.rules[0];
          const inside = bigToV6(rule0.ipv6.base | (host & ((1n << BigInt(128 - rule0.ipv6.length)) - 1n)));
          const m = expectRoundTrip(format, rules, inside);
          expect(portsOf(m)).toHaveLength(r.k === 0 ? 65536 : (2 ** r.a - (r.a > 0 ? 1 : 0)) * 2 ** (16 - r.a - r.k));
        }),
        { numRuns: 40 },
      );
    });

    it(`${format.name}: whoever reverse names holds that port by forward`, () => {
      fc.assert(
        fc.property(rule, fc.nat(), fc.integer({ min: 0, max: 65535 }), (r, pick, port) => {
          const rules = parsed(format, text(r));
          const v4 = rules.rules[0].ipv4;
          expectReverseHolds(format, rules, u32ToIpv4(v4.base + (pick % v4.size)), port);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('the PSIDs of a rule split the ports from 2^(16-a) up exactly, without overlap', () => {
    for (const [a, k] of [[6, 8], [0, 4], [4, 6], [1, 15]]) {
      const seen = new Uint8Array(65536);
      for (let psid = 0; psid < 2 ** k; psid++) for (const { start, end } of psidPorts({ a, k, m: 16 - a - k }, psid)) for (let p = start; p <= end; p++) seen[p]++;
      const firstHeld = a > 0 ? 2 ** (16 - a) : 0;
      expect(seen.slice(0, firstHeld).every((c) => c === 0)).toBe(true);
      expect(seen.slice(firstHeld).every((c) => c === 1)).toBe(true);
    }
  });
});
