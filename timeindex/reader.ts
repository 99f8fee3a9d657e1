import type { Cluster, Redis } from 'ioredis';
import { decodePairs, type Entry } from './entry.js';
import { leaseKeys, natKeys, parseChainId, type ChainIdentity } from './keys.js';

export interface NatChain extends ChainIdentity {
  cid: string;
  /** Entries that may intersect the window, oldest first, with the one before the window. */
  entries: Entry[];
}

export interface NatStab {
  /** Whether the address has any NAT record at all (else it may be resolved directly). */
  hasNat: boolean;
  chains: NatChain[];
}

/** Reads the time index for a window: one round trip per hop. */
export class IndexReader {
  constructor(private readonly redis: Redis | Cluster) {}

  async nat(publicIp: string, port: number | null, from: number, to: number): Promise<NatStab> {
    const reply = await this.redis.natStabBuffer(natKeys.registry(publicIp), natKeys.meta(publicIp), natKeys.ipPrefix(publicIp), port ?? -1, from, to);
    const chains: NatChain[] = [];
    let i = 1;
    while (i < reply.length) {
      const cid = (reply[i] as Buffer).toString('utf8');
      const n = Number(reply[i + 1]);
      chains.push({ cid, ...parseChainId(cid), entries: decodePairs(reply, i + 2, n) });
      i += 2 + 2 * n;
    }
    return { hasNat: reply.length > 0, chains };
  }

  async lease(vrf: string, ip: string, from: number, to: number): Promise<Entry[]> {
    const reply = await this.redis.leaseStabBuffer(leaseKeys.meta(vrf, ip), leaseKeys.chainPrefix(vrf, ip), from, to);
    return decodePairs(reply, 0, reply.length / 2);
  }
}
