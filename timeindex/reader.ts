import type { Cluster, Redis } from 'ioredis';
import { decodePairs, type Entry } from './entry.js';
import { isIpv4, prefixNetworks } from '../core/ip.js';
import { leaseKeys, natKeys, parseChainId, PREFIX_LENGTHS_KEY, type ChainIdentity } from './keys.js';

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

  /**
   * The lease addresses that may stand for a public address with no NAT record: the address
   * itself and, for IPv6, each delegated prefix of a length the index holds that contains it.
   */
  async directAddresses(ip: string): Promise<string[]> {
    if (isIpv4(ip)) return [ip];
    const lengths = (await this.redis.smembers(PREFIX_LENGTHS_KEY)).map(Number).sort((a, b) => a - b);
    return [ip, ...prefixNetworks(ip, lengths)];
  }

  async lease(vrf: string, ip: string, from: number, to: number): Promise<Entry[]> {
    const reply = await this.redis.leaseStabBuffer(leaseKeys.meta(vrf, ip), leaseKeys.chainPrefix(vrf, ip), from, to);
    return decodePairs(reply, 0, reply.length / 2);
  }
}
