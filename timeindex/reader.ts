import type { Cluster, Redis } from 'ioredis';
import { applyBounds, decodeEntry, decodePairs, type Entry } from './entry.js';
import { isIpv4, prefixNetworks } from '../core/ip.js';
import { TurnBatcher } from '../core/turn-batch.js';
import { DICTIONARY_KEY, leaseKeys, natKeys, parseChainId, PREFIX_LENGTHS_KEY, type ChainIdentity } from './keys.js';

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

/** A lease chain read in the same call as the allocation entry it was read for. */
export interface LeaseRead {
  vrf: string;
  /** The window it was read over, inclusive. */
  from: number;
  to: number;
  entries: Entry[];
}

/** Both hops of a look-up window, as far as one call could read them. */
export interface Lookup extends NatStab {
  /**
   * Lease chains already read, by the allocation entry (of `chains`) they were read for: the
   * inside address's chain, in the VRF of the entry's profile, over the part of the window the
   * entry covers. An entry without one (Cluster, an IPv6 inside address) is read by the caller.
   */
  leases: Map<Entry, LeaseRead>;
  /** With no NAT record: the address's own lease chain in the direct VRF, when asked and read. */
  direct: Entry[] | null;
}

export interface LookupWindow {
  publicIp: string;
  port: number | null;
  from: number;
  to: number;
  /** The VRF of the address's own lease chain to read when it has no NAT record (null: the caller does). */
  directVrf: string | null;
}

interface Waiting {
  window: LookupWindow;
  ok: (l: Lookup) => void;
  fail: (err: unknown) => void;
}

/**
 * What one lookup call reads at most, in windows, a window without a port weighing as many as
 * the chains it may read: a few µs a window in the usual case, so that no call holds Redis
 * for long while single look-ups wait behind it.
 */
const MAX_LOOKUP_WEIGHT = 256;
const PORTLESS_WEIGHT = 32;

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
 * Reads the time index for a window. On a single Redis both hops of every look-up asked in the
 * same turn of the event loop go in one script call (`lookup`); a look-up in flight has company
 * (a busy service, a batch of bulk rows) and a script call costs Node and Redis more than the
 * reading it does. On a Cluster the NAT keys and the lease keys of a look-up live in different
 * slots: the NAT hops asked for one public address in the same turn share a call, and each lease
 * hop is its own. Lease hops the lookup script left to the caller (an IPv6 inside address) share
 * a call on a single Redis, sent at once (process.nextTick) so that Redis never waits for Node.
 */
export class IndexReader {
  private readonly natHops = new TurnBatcher<NatWindow, NatStab>((ip, windows) => this.natStab(ip, windows), MAX_NAT_WINDOWS);
  private readonly leaseHops: TurnBatcher<LeaseWindow, Entry[]> | null;

  private readonly cluster: boolean;
  private pending: Waiting[] = [];

  constructor(private readonly redis: Redis | Cluster) {
    this.cluster = (redis as Cluster).isCluster === true;
    this.leaseHops = this.cluster ? null : new TurnBatcher((_, windows) => this.leaseStab(windows), MAX_LEASE_WINDOWS, process.nextTick);
  }

  /**
   * Both hops of a look-up window. On a single Redis one script reads both (lookup-n.lua), for
   * every window asked in the same turn of the event loop (a busy service, a batch of bulk rows);
   * on a Cluster the NAT and lease keys live in different slots, so this is the NAT hop alone
   * and the caller reads the leases.
   */
  lookup(publicIp: string, port: number | null, from: number, to: number, directVrf: string | null): Promise<Lookup> {
    if (this.cluster) return this.nat(publicIp, port, from, to).then((stab) => ({ ...stab, leases: new Map(), direct: null }));
    return new Promise((ok, fail) => {
      if (this.pending.length === 0) setImmediate(this.flush);
      this.pending.push({ window: { publicIp, port, from, to, directVrf }, ok, fail });
    });
  }

  private readonly flush = () => {
    const all = this.pending;
    this.pending = [];
    let start = 0;
    let weight = 0;
    for (let i = 0; i < all.length; i++) {
      weight += all[i].window.port === null ? PORTLESS_WEIGHT : 1;
      if (weight >= MAX_LOOKUP_WEIGHT || i === all.length - 1) {
        const part = all.slice(start, i + 1);
        this.lookupCall(part.map((w) => w.window)).then(
          (res) => part.forEach((w, k) => w.ok(res[k])),
          (err: unknown) => part.forEach((w) => w.fail(err)),
        );
        start = i + 1;
        weight = 0;
      }
    }
  };

  private async lookupCall(windows: LookupWindow[]): Promise<Lookup[]> {
    const reply = await this.redis.lookupBuffer(1, DICTIONARY_KEY, ...packWindows(windows));
    return unpackLookups(reply, windows.length);
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

/** Bytes of a window in lookup-n.lua's packed argument beside its address: struct '>Bc0i4ddB'. */
const WINDOW_BYTES = 1 + 4 + 8 + 8 + 1;

/**
 * The windows as lookup-n.lua reads them: one packed argument (address, port or -1, start, end,
 * and which of the VRFs that follow it names the direct lease chain, 0 for none), then those VRFs.
 */
export function packWindows(windows: readonly LookupWindow[]): [Buffer, ...string[]] {
  const vrfs: string[] = [];
  let size = 0;
  for (const w of windows) size += WINDOW_BYTES + Buffer.byteLength(w.publicIp, 'latin1');
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  for (const w of windows) {
    const ip = w.publicIp;
    // an address is ASCII (core/ip.ts canonical forms), at most 45 characters
    if (ip.length > 255) throw new Error(`lookup: ${JSON.stringify(ip.slice(0, 60))}… is not an address`);
    buf[at] = ip.length;
    at = 1 + at + buf.write(ip, at + 1, 'latin1');
    at = buf.writeInt32BE(w.port ?? -1, at);
    at = buf.writeDoubleBE(w.from, at);
    at = buf.writeDoubleBE(w.to, at);
    let k = 0;
    if (w.directVrf !== null) {
      k = vrfs.indexOf(w.directVrf) + 1;
      if (k === 0) k = vrfs.push(w.directVrf);
      if (k > 255) throw new Error('lookup: more than 255 direct VRFs in one call');
    }
    buf[at++] = k;
  }
  return [buf, ...vrfs];
}

/** A cursor over lookup-n.lua's packed reply. */
class Packed {
  at = 0;
  constructor(private readonly buf: Buffer) {}
  byte(): number {
    return this.buf[this.at++];
  }
  u32(): number {
    const v = this.buf.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  double(): number {
    const v = this.buf.readDoubleBE(this.at);
    this.at += 8;
    return v;
  }
  bytes(): Buffer {
    const n = this.u32();
    const b = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return b;
  }
  text(): string {
    const n = this.u32();
    const t = this.buf.toString('utf8', this.at, this.at + n);
    this.at += n;
    return t;
  }
  /** A lease chain's entries as the script read them, oldest first, narrowed by its bounded ends. */
  leaseEntries(): Entry[] {
    const entries: Entry[] = [];
    for (let n = this.u32(); n > 0; n--) {
      const start = this.double();
      entries.push(decodeEntry(start, this.bytes()));
    }
    entries.sort((a, b) => a.start - b.start);
    const n = this.u32();
    if (n > 0) {
      const bounds: Buffer[] = [];
      for (let k = 0; k < n; k++) bounds.push(this.bytes());
      applyBounds(entries, bounds);
    }
    return entries;
  }
}

/** The chain identities met, by chain id: a few per address, met again by every look-up on it. */
const chainIds = new Map<string, ChainIdentity>();
const MAX_CHAIN_IDS = 100_000;

function chainIdentity(cid: string): ChainIdentity {
  let id = chainIds.get(cid);
  if (id === undefined) {
    if (chainIds.size >= MAX_CHAIN_IDS) chainIds.clear();
    id = parseChainId(cid);
    chainIds.set(cid, id);
  }
  return id;
}

/** The windows of one lookup call, as lookup-n.lua packed them (its header has the layout). */
export function unpackLookups(reply: Buffer, windows: number): Lookup[] {
  const r = new Packed(reply);
  const out: Lookup[] = [];
  for (let w = 0; w < windows; w++) {
    const kind = r.byte();
    if (kind !== 1) {
      out.push({ hasNat: false, chains: [], leases: new Map(), direct: kind === 2 ? r.leaseEntries() : null });
      continue;
    }
    const chains: NatChain[] = [];
    const leases = new Map<Entry, LeaseRead>();
    for (let c = r.u32(); c > 0; c--) {
      const cid = r.text();
      const entries: Entry[] = [];
      for (let n = r.u32(); n > 0; n--) {
        const start = r.double();
        const entry = decodeEntry(start, r.bytes());
        entries.push(entry);
        if (r.byte() === 1) {
          const vrf = r.text();
          const from = r.double();
          const to = r.double();
          leases.set(entry, { vrf, from, to, entries: r.leaseEntries() });
        }
      }
      chains.push({ cid, ...chainIdentity(cid), entries });
    }
    out.push({ hasNat: true, chains, leases, direct: null });
  }
  if (r.at !== reply.length) throw new Error(`lookup reply: ${reply.length - r.at} bytes left after ${windows} windows`);
  return out;
}
