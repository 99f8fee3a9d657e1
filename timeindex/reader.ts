import type { Cluster, Redis } from 'ioredis';
import { applyBounds, decodePairs, type Entry } from './entry.js';
import { isIpv4, prefixNetworks } from '../core/ip.js';
import { TurnBatcher } from '../core/turn-batch.js';
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

interface NatWindow {
  port: number | null;
  from: number;
  to: number;
}

interface LeaseWindow {
  vrf: string;
  ip: string;
  from: number;
  to: number;
}

/** Lease windows one call reads at most. */
const MAX_LEASE_WINDOWS = 64;

/** Windows one NAT script call reads at most, so that no call holds Redis for long (about 10 µs a window). */
const MAX_NAT_WINDOWS = 64;

/**
 * Reads the time index for a window: one round trip per hop, except that hops made together
 * share one. The NAT hops asked for one public address in the same turn of the event loop
 * share a call: look-ups in flight together (a bulk file, a busy service) ask the same few
 * CGNAT addresses over and over, and a script call costs Node and Redis more than the reading
 * it does. On a single Redis the lease hops that one burst of replies sets off share a call
 * too, sent at once (process.nextTick) so that Redis never waits for Node to gather them; on a
 * cluster each address's chain is in its own slot, so each lease hop is its own call.
 */
export class IndexReader {
  private readonly natHops = new TurnBatcher<NatWindow, NatStab>((ip, windows) => this.natStab(ip, windows), MAX_NAT_WINDOWS);
  private readonly leaseHops: TurnBatcher<LeaseWindow, Entry[]> | null;

  constructor(private readonly redis: Redis | Cluster) {
    this.leaseHops = (redis as Cluster).isCluster ? null : new TurnBatcher((_, windows) => this.leaseStab(windows), MAX_LEASE_WINDOWS, process.nextTick);
  }

  nat(publicIp: string, port: number | null, from: number, to: number): Promise<NatStab> {
    return this.natHops.ask(publicIp, { port, from, to });
  }

  private async natStab(publicIp: string, windows: NatWindow[]): Promise<NatStab[]> {
    const argv: Array<string | number> = [natKeys.ipPrefix(publicIp)];
    for (const w of windows) argv.push(w.port ?? -1, w.from, w.to);
    const reply = await this.redis.natStabBuffer(natKeys.registry(publicIp), natKeys.meta(publicIp), ...argv);
    if (reply.length === 0) return windows.map(() => ({ hasNat: false, chains: [] }));
    let i = 1;
    return windows.map(() => {
      const chains: NatChain[] = [];
      for (let k = Number(reply[i++]); k > 0; k--) {
        const cid = (reply[i] as Buffer).toString('utf8');
        const n = Number(reply[i + 1]);
        chains.push({ cid, ...parseChainId(cid), entries: decodePairs(reply, i + 2, n) });
        i += 2 + 2 * n;
      }
      return { hasNat: true, chains };
    });
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
    const window = { vrf, ip, from, to };
    if (this.leaseHops) return this.leaseHops.ask('', window);
    return (await this.leaseStab([window]))[0];
  }

  private async leaseStab(windows: LeaseWindow[]): Promise<Entry[][]> {
    const argv: Array<string | number> = windows.map((w) => leaseKeys.meta(w.vrf, w.ip));
    for (const w of windows) argv.push(leaseKeys.chainPrefix(w.vrf, w.ip), w.from, w.to);
    const reply = await this.redis.leaseStabBuffer(windows.length, ...argv);
    let i = 0;
    return windows.map(() => {
      const n = Number(reply[i]);
      const entries = decodePairs(reply, i + 1, n);
      i += 1 + 2 * n;
      const b = Number(reply[i]);
      if (b > 0) applyBounds(entries, reply.slice(i + 1, i + 1 + b) as Buffer[]);
      i += 1 + b;
      return entries;
    });
  }
}
