import { describe, expect, it } from 'vitest';
import { ipv6Prefix, prefixNetworks } from '../../core/ip.js';

describe('IPv6 prefixes', () => {
  it('reads a prefix as its network address, whatever host bits it was written with', () => {
    expect(ipv6Prefix('2001:DB8:1200:00ff::1/56')).toEqual({ ip: '2001:db8:1200::', prefix: '2001:db8:1200::/56', length: 56 });
    expect(ipv6Prefix('2001:db8:1200:ff::/64')).toEqual({ ip: '2001:db8:1200:ff::', prefix: '2001:db8:1200:ff::/64', length: 64 });
  });

  it.each([
    ['2001:db8::', '"2001:db8::" is not a prefix (no /length)'],
    ['192.0.2.0/24', '"192.0.2.0/24" is not an IPv6 prefix'],
    ['2001:db8::/129', '"2001:db8::/129" has no valid prefix length (0-128)'],
    ['2001:db8::/x', '"2001:db8::/x" has no valid prefix length (0-128)'],
  ])('says why %s is not one', (text, reason) => {
    expect(ipv6Prefix(text)).toBe(reason);
  });

  it('names the prefixes of each length that hold an address', () => {
    expect(prefixNetworks('2001:db8:1200:ff:1::5', [48, 56, 64, 128])).toEqual([
      '2001:db8:1200::/48',
      '2001:db8:1200::/56',
      '2001:db8:1200:ff::/64',
      '2001:db8:1200:ff:1::5/128',
    ]);
  });
});
