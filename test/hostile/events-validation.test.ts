import { describe, expect, it } from 'vitest';
import { eventFromWire } from '../../events/wire.js';
import { chainId, leaseKeys, natKeys, parseChainId } from '../../timeindex/keys.js';

/**
 * What the canonical event validation lets through, field by field, for hostile values: each
 * is refused with a reason naming the field, or accepted as a value the index stores and
 * returns unchanged (the HTTP tests store and read them back).
 */

const nat = (o: Record<string, unknown> = {}) => ({
  kind: 'nat', event: 'alloc', at: '2026-10-25T00:00:00Z', natInstance: 'cgn1', publicIp: '198.51.100.7', portStart: 1024, portEnd: 1535, privateIp: '100.64.0.1', ...o,
});
const lease = (o: Record<string, unknown> = {}) => ({ kind: 'lease', event: 'start', at: '2026-10-25T00:00:00Z', ip: '100.64.0.1', subscriberId: 's-1', ...o });

const RESP = '\r\n*3\r\n$3\r\nDEL\r\n$1\r\nx\r\n';
const LUA = "redis.call('FLUSHALL')";

function refused(ev: unknown): string {
  const r = eventFromWire(ev);
  if (r.ok) throw new Error(`accepted: ${JSON.stringify(ev)}`);
  return r.reason;
}
function accepted(ev: unknown) {
  const r = eventFromWire(ev);
  if (!r.ok) throw new Error(`refused (${r.reason}): ${JSON.stringify(ev)}`);
  return r.event;
}

describe('names that go into keys, the profile dictionary and answers', () => {
  const fields: Array<[string, (v: string) => unknown]> = [
    ['natInstance', (v) => nat({ natInstance: v })],
    ['privateVrf', (v) => nat({ privateVrf: v })],
    ['vrf', (v) => lease({ vrf: v })],
    ['subscriberId', (v) => lease({ subscriberId: v })],
    ['source', (v) => lease({ source: v })],
    ['source', (v) => nat({ source: v })],
  ];

  it('refuses the Redis protocol, CR, LF, NUL, C1 controls, bidi overrides and unpaired surrogates in every name', () => {
    for (const [field, make] of fields) {
      for (const bad of [RESP, 'a\nb', 'a\rb', 'a\u0000', 'a\u007f', 'a\u0085b', '\u202egnp.exe', 'a\u2066b', 'a\ud800b', '\udc00']) {
        expect(refused(make(bad)), `${field}=${JSON.stringify(bad)}`).toBe(`${field} contains control characters, bidirectional marks or unpaired surrogates`);
      }
    }
  });

  it('stores Lua, RESP-looking text without controls, quotes, JSON and emoji verbatim', () => {
    for (const [field, make] of fields) {
      for (const good of [LUA, '*3 $3 DEL', 'EVAL "return 1" 0', '"; DROP TABLE x; --', '{"$gt":""}', 'ünïcødé 😀', '%s%n', '../../etc/passwd']) {
        if (field === 'source' && good.includes('|')) continue;
        if ((field === 'vrf' || field === 'privateVrf') && /[{}]/.test(good)) continue;
        const e = accepted(make(good)) as unknown as Record<string, unknown>;
        expect(e[field], field).toBe(good);
      }
    }
  });

  it('refuses braces in a VRF: they would move the hash tag of the lease keys (and split them across cluster slots)', () => {
    // what the keys would have been: the tag of `lm:{}|ip}` is empty, so the two keys of one lease land apart
    expect(leaseKeys.meta('}', '100.64.0.1')).toBe('lm:{}|100.64.0.1}');
    expect(refused(lease({ vrf: '}' }))).toBe('vrf "}" contains { or }, which Redis keys reserve');
    expect(refused(nat({ privateVrf: 'a{b' }))).toBe('privateVrf "a{b" contains { or }, which Redis keys reserve');
  });

  it('refuses | in a source: the profile dictionary stores vrf|source and splits at the last |', () => {
    expect(refused(lease({ vrf: 'a', source: 'b|c' }))).toBe('source "b|c" contains |, which the profile dictionary reserves');
    // a VRF may hold |: the split at the last | still finds it
    expect(accepted(lease({ vrf: 'a|b', source: 'c' }))).toMatchObject({ vrf: 'a|b', source: 'c' });
  });

  it('keeps | and braces in a NAT instance: the chain id is parsed from the right and the key tag is the public address', () => {
    for (const inst of ['a|b', '{x}', 'a|1|2|*', '}{']) {
      const e = accepted(nat({ natInstance: inst }));
      const cid = chainId(inst, 1024, 1535, null);
      expect(parseChainId(cid)).toEqual({ natInstance: inst, portStart: 1024, portEnd: 1535, protocol: null });
      expect(natKeys.chainPrefix(e.kind === 'nat' ? e.publicIp : '', cid).startsWith('a:{198.51.100.7}:')).toBe(true);
    }
  });
});

describe('addresses', () => {
  it('takes IPv6 and IPv4-mapped IPv6 in every address field, storing mapped ones as IPv4', () => {
    expect(accepted(nat({ publicIp: '::ffff:198.51.100.7', privateIp: '::FFFF:100.64.0.1' }))).toMatchObject({ publicIp: '198.51.100.7', privateIp: '100.64.0.1' });
    expect(accepted(nat({ publicIp: '2001:DB8::0:1', privateIp: 'fd00:0::1' }))).toMatchObject({ publicIp: '2001:db8::1', privateIp: 'fd00::1' });
    expect(accepted(lease({ ip: '::ffff:100.64.0.1' }))).toMatchObject({ ip: '100.64.0.1' });
    expect(accepted(lease({ ip: '2001:db8:0:0:0:0:0:2' }))).toMatchObject({ ip: '2001:db8::2' });
  });
  it('refuses zone ids, shorthands, padded octets and text', () => {
    for (const [field, make] of [['publicIp', (v: string) => nat({ publicIp: v })], ['privateIp', (v: string) => nat({ privateIp: v })], ['ip', (v: string) => lease({ ip: v })]] as const) {
      for (const bad of ['fe80::1%eth0', '10.1', '010.0.0.1', '::ffff:999.1.1.1', '1.2.3.4\r\n', LUA, 'x'.repeat(65)]) {
        expect(refused(make(bad)), `${field}=${bad}`).toMatch(new RegExp(`^${field}`));
      }
    }
  });
});

describe('numbers and times', () => {
  it('refuses ports outside 0-65535, fractions, NaN, Infinity and strings', () => {
    for (const bad of [-1, 65536, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '1024', 1e309, 2 ** 53]) {
      expect(refused(nat({ portStart: bad })), String(bad)).toMatch(/^portStart must be/);
      expect(refused(nat({ portEnd: bad })), String(bad)).toMatch(/^portEnd must be/);
    }
    expect(accepted(nat({ portStart: 0, portEnd: 65535 }))).toMatchObject({ portStart: 0, portEnd: 65535 });
  });
  it('refuses year 0, years before 1970, year 10000 and non-instants; keeps 9999', () => {
    for (const bad of ['0000-01-01T00:00:00Z', '1969-12-31T23:59:59Z', '+010000-01-01T00:00:00Z', '10000-01-01T00:00:00Z', 'NaN', 'Infinity', '2026-10-25T00:00:00', '1792886400']) {
      expect(refused(lease({ at: bad })), bad).toMatch(/^at: /);
      expect(refused(lease({ expiresAt: bad })), bad).toMatch(/^expiresAt: /);
    }
    expect(accepted(lease({ at: '9999-12-31T23:59:59Z' })).at).toBe(Date.UTC(9999, 11, 31, 23, 59, 59));
  });
});

describe('prototype pollution', () => {
  it('refuses __proto__, constructor and prototype as event fields, and never touches Object.prototype', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const ev = JSON.parse(`{"kind":"lease","event":"start","at":"2026-10-25T00:00:00Z","ip":"100.64.0.1","subscriberId":"s","${key}":{"polluted":true}}`);
      expect(refused(ev)).toBe(`event: unknown field "${key}"`);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  it('keeps a __proto__ identifier as a plain key: the prototype stays', () => {
    const ev = JSON.parse('{"kind":"lease","event":"start","at":"2026-10-25T00:00:00Z","ip":"100.64.0.1","subscriberId":"s","identifiers":{"__proto__":null,"constructor":"x"}}');
    const e = accepted(ev);
    if (e.kind !== 'lease') throw new Error('lease expected');
    expect(Object.getPrototypeOf(e.identifiers)).toBe(Object.prototype);
    expect(Object.keys(e.identifiers).sort()).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
