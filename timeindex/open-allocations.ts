import type { Cluster, Redis } from 'ioredis';
import { ADDRESS_SHARDS, addressSetKey } from './addresses.js';
import { decodeEntry } from './entry.js';
import { BUCKET_MS } from './format.js';
import { natKeys, parseChainId } from './keys.js';

/**
 * Open allocations per NAT instance, and the one seen longest ago: an allocation stays open
 * until its release, and a CGNAT that sends interim records restates it every interim interval.
 * An open allocation last seen long ago means that instance's releases or interims are not
 * arriving, and answers about its blocks rest on an old record (the resolver's `log_gap`).
 *
 * A sweep visits every chain once: the address registry gives the public addresses, each
 * address's registry its chains, and the newest entry of a chain (the highest start in the
 * newest bucket that has one) is the only one that can be open. Its cost grows with the number
 * of chains (port blocks), not of records; it is for a background job, not a look-up.
 */

export interface OpenAllocations {
  natInstance: string;
  open: number;
  /** The oldest "last seen" (allocation or interim) among the open allocations, epoch ms. */
  oldestSeen: number;
}

export interface SweepResult {
  instances: OpenAllocations[];
  chains: number;
  addresses: number;
  ms: number;
}

/** Addresses whose chains are read together. */
const ADDRESSES_AT_ONCE = 64;

export async function sweepOpenAllocations(redis: Redis | Cluster, now: () => number = Date.now): Promise<SweepResult> {
  const t0 = now();
  const per = new Map<string, OpenAllocations>();
  let chains = 0;
  let addresses = 0;
  for (let shard = 0; shard < ADDRESS_SHARDS; shard++) {
    let cursor = '0';
    do {
      const [next, ips] = await redis.sscan(addressSetKey('nat', shard), cursor, 'COUNT', 500);
      cursor = next;
      for (let i = 0; i < ips.length; i += ADDRESSES_AT_ONCE) {
        const found = await Promise.all(ips.slice(i, i + ADDRESSES_AT_ONCE).map((ip) => newestOfAddress(redis, ip)));
        for (const list of found) {
          addresses++;
          for (const c of list) {
            chains++;
            if (c.lastSeen === null) continue;
            const o = per.get(c.natInstance);
            if (!o) per.set(c.natInstance, { natInstance: c.natInstance, open: 1, oldestSeen: c.lastSeen });
            else {
              o.open++;
              o.oldestSeen = Math.min(o.oldestSeen, c.lastSeen);
            }
          }
        }
      }
    } while (cursor !== '0');
  }
  return { instances: [...per.values()].sort((a, b) => a.natInstance.localeCompare(b.natInstance)), chains, addresses, ms: now() - t0 };
}

/** Each chain of one public address: its NAT instance and, when its newest entry is open, when it was last seen. */
async function newestOfAddress(redis: Redis | Cluster, ip: string): Promise<Array<{ natInstance: string; lastSeen: number | null }>> {
  const [cids, [lo, hi]] = await Promise.all([redis.zrange(natKeys.registry(ip), '0', '-1'), redis.hmget(natKeys.meta(ip), 'lo', 'hi')]);
  if (cids.length === 0 || lo === null || hi === null) return cids.map((cid) => ({ natInstance: parseChainId(cid).natInstance, lastSeen: null }));
  const out = new Map<string, number | null>();
  let left = cids;
  // newest bucket first; a chain is settled by the first bucket that has an entry of it
  for (let b = Number(hi); b >= Number(lo) && left.length > 0; b--) {
    const replies = await Promise.all(left.map((cid) => redis.zrangeBuffer(`${natKeys.chainPrefix(ip, cid)}${b}`, '-1', '-1', 'WITHSCORES')));
    const rest: string[] = [];
    left.forEach((cid, k) => {
      const r = replies[k];
      if (r.length < 2) return rest.push(cid);
      out.set(cid, decodeEntry(b * BUCKET_MS + Number(r[1].toString()), r[0]).lastSeen);
    });
    left = rest;
  }
  return cids.map((cid) => ({ natInstance: parseChainId(cid).natInstance, lastSeen: out.get(cid) ?? null }));
}
