import type { Cluster, Redis } from 'ioredis';
import { decodeEntry, type Entry } from './entry.js';
import { BUCKET_MS } from './format.js';
import { leaseKeys, natKeys } from './keys.js';

/** Every entry of a chain, oldest first: for checks, exports and tests, not for look-ups. */
async function chainEntries(redis: Redis | Cluster, prefix: string, metaKey: string): Promise<Entry[]> {
  const [lo, hi] = await redis.hmget(metaKey, 'lo', 'hi');
  if (lo === null || hi === null) return [];
  const out: Entry[] = [];
  for (let b = Number(lo); b <= Number(hi); b++) {
    const r = await redis.zrangeBuffer(`${prefix}${b}`, '0', '-1', 'WITHSCORES');
    for (let i = 0; i < r.length; i += 2) out.push(decodeEntry(b * BUCKET_MS + Number(r[i + 1].toString()), r[i]));
  }
  return out.sort((a, b) => a.start - b.start || Buffer.compare(a.who, b.who));
}

export async function dumpNat(redis: Redis | Cluster, publicIp: string): Promise<Map<string, Entry[]>> {
  const cids = await redis.zrange(natKeys.registry(publicIp), '0', '-1');
  const out = new Map<string, Entry[]>();
  for (const cid of cids) out.set(cid, await chainEntries(redis, natKeys.chainPrefix(publicIp, cid), natKeys.meta(publicIp)));
  return out;
}

export async function dumpLeases(redis: Redis | Cluster, vrf: string, ip: string): Promise<Entry[]> {
  return chainEntries(redis, leaseKeys.chainPrefix(vrf, ip), leaseKeys.meta(vrf, ip));
}
