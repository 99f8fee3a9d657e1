import { beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { parseProfile, profileText, ProfileDictionary } from '../../timeindex/profiles.js';
import { testRedis } from '../helpers/redis.js';

describe('profile texts', () => {
  it('read a text of two parts as every earlier version wrote it: split at the last |, no ingest', () => {
    expect(parseProfile('default|kea-main')).toEqual({ vrf: 'default', source: 'kea-main', ingest: null });
    expect(parseProfile('cust|a|b|kea-main')).toEqual({ vrf: 'cust|a|b', source: 'kea-main', ingest: null });
    // an old source named like an ingest is still an old source
    expect(parseProfile('cust|token:abc')).toEqual({ vrf: 'cust', source: 'token:abc', ingest: null });
  });

  it('write and read each ingest path, a VRF holding | included', () => {
    for (const ingest of [
      { path: 'token', tokenId: '0123456789ab' },
      { path: 'cli', user: 'op:7|x' },
      { path: 'collector', collector: 'nat-col-1' },
    ] as const) {
      const text = profileText('cust|a', 'kea-main', ingest);
      expect(parseProfile(text)).toEqual({ vrf: 'cust|a', source: 'kea-main', ingest });
    }
    expect(profileText('default', 'kea-main', null)).toBe('default|kea-main');
  });

  it('names no ingest for a path this version does not know, and still answers with the VRF and source', () => {
    expect(parseProfile('default\u001fkea\u001fcarrier-pigeon:x')).toEqual({ vrf: 'default', source: 'kea', ingest: null });
    expect(parseProfile('default\u001fkea\u001ftoken:')).toEqual({ vrf: 'default', source: 'kea', ingest: null });
  });
});

describe('the dictionary', () => {
  let redis: Redis;
  beforeAll(async () => {
    ({ redis } = await testRedis());
  });

  it('refuses a name holding the separator rather than store a profile that reads back shifted', async () => {
    const dict = new ProfileDictionary(redis);
    await expect(Promise.resolve().then(() => dict.idFor('bad\u001fvrf', 'kea', { path: 'token', tokenId: '0123456789ab' }))).rejects.toThrow(/unit separator/);
    expect(await redis.hlen('{whohad}:dict')).toBe(0);
  });

  it('gives one id per VRF, source and ingest, and reads each back in a fresh process', async () => {
    const dict = new ProfileDictionary(redis);
    const x = { path: 'token', tokenId: 'aaaaaaaaaaaa' } as const;
    const a = await dict.idFor('default', 'kea', x);
    expect(await dict.idFor('default', 'kea', { path: 'token', tokenId: 'aaaaaaaaaaaa' })).toBe(a);
    const b = await dict.idFor('default', 'kea', { path: 'cli', user: 'alice' });
    const c = await dict.idFor('default', 'kea');
    expect(new Set([a, b, c]).size).toBe(3);
    const fresh = await new ProfileDictionary(redis).describe([a, b, c]);
    expect([a, b, c].map((id) => fresh.get(id)?.ingest ?? null)).toEqual([x, { path: 'cli', user: 'alice' }, null]);
  });
});
