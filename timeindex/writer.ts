import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { ipToBytes } from '../core/ip.js';
import type { CanonicalEvent, LeaseEvent } from '../events/schema.js';
import { AddressRegistry } from './addresses.js';
import { clientFailure, scriptFailure, type WriteFailure } from './codes.js';
import { EndBasisCode } from './format.js';
import { chainId, leaseAddress, leaseKeys, natKeys, PREFIX_LENGTHS_KEY } from './keys.js';
import type { Ingest, ProfileDictionary } from './profiles.js';

/** Where a lease end came from decides what it proves: a RADIUS Stop ends a session. */
function leaseEndBasis(e: LeaseEvent): EndBasisCode {
  if (e.event === 'expire') return EndBasisCode.Expired;
  return e.source.startsWith('radius') ? EndBasisCode.Stop : EndBasisCode.Released;
}

export interface WriteOutcome {
  /** The events not stored, by their index in the batch, with why. */
  failed: WriteFailure[];
  stored: number;
}

export interface Retention {
  days: number;
  now: () => number;
}

/** The last instant an event speaks for: a lease start runs on to its expiry. */
function latestInstant(e: CanonicalEvent): number {
  return e.kind === 'lease' && e.expiresAt !== null ? Math.max(e.at, e.expiresAt) : e.at;
}

/** Events one script call merges at most, so that no call blocks Redis for long. */
const PER_CALL = 256;

/** An event ready for its script: where it goes and its arguments, built once. */
interface Prepared {
  index: number;
  kind: 'nat' | 'lease';
  /** The public IP, or `<vrf>|<ip>` of a lease chain. */
  address: string;
  prefixLength: number | null;
  /** Of a NAT event: its chain id, first port and span. */
  cid: string;
  first: number;
  span: number;
  /** The per-address script's arguments (natEvents-2: 8 values, leaseEvents-1: 6). */
  args: Array<string | number | Buffer>;
  /** The batch script's one packed argument (without the chain or address number, set per call). */
  packed: Buffer;
}

export interface WriterOptions {
  /**
   * One script call per address (natEvents-2, leaseEvents-1), as Redis Cluster needs. Default:
   * per address in Cluster mode, else one call for the events of many addresses.
   */
  perAddress?: boolean;
}

const NAT_KIND = { alloc: 1, release: 2, interim: 3 } as const;
const NAT_HEAD = 22; // '>BBHHdd'
const LEASE_HEAD = 23; // '>BBHHBdd'

function packNat(kind: number, allocatedAt: number | null, profile: number, at: number, who: Buffer): Buffer {
  const b = Buffer.allocUnsafe(NAT_HEAD + who.length);
  b[0] = kind;
  b[1] = allocatedAt === null ? 0 : 1;
  // bytes 2-3: the chain's number in its call
  b.writeUInt16BE(profile, 4);
  b.writeDoubleBE(at, 6);
  b.writeDoubleBE(allocatedAt ?? 0, 14);
  who.copy(b, NAT_HEAD);
  return b;
}

function packLease(e: LeaseEvent, profile: number): Buffer {
  const who = Buffer.from(e.subscriberId, 'utf8');
  const b = Buffer.allocUnsafe(LEASE_HEAD + who.length);
  const start = e.event === 'start';
  // 3: an end whose time the source does not know (docs/time-index.md, "Bounded ends")
  b[0] = start ? 1 : e.endTimeUnknown ? 3 : 2;
  b[1] = start && e.expiresAt !== null ? 1 : 0;
  // bytes 2-3: the address's number in its call
  b.writeUInt16BE(profile, 4);
  b[6] = start ? 0 : leaseEndBasis(e);
  b.writeDoubleBE(e.at, 7);
  b.writeDoubleBE(start ? (e.expiresAt ?? 0) : 0, 15);
  who.copy(b, LEASE_HEAD);
  return b;
}

/** What one pipelined command must succeed for: its reply position and the events it carries. */
interface Sent {
  slot: number;
  events: Prepared[];
  /** Positions of commands the events also need (a prefix length recorded); null when none. */
  needs: number[];
  /** Address registrations queued before it. */
  registrations: Array<{ slot: number; kind: 'nat' | 'lease'; address: string }>;
}

/**
 * Stores canonical events in the time index. On a single Redis the events of a batch go out in
 * script calls of up to 256 events covering many addresses (natBatch-n, leaseBatch-n), one packed
 * argument an event; in Cluster mode, where the keys of two addresses live in different slots,
 * one call per address (natEvents-2, leaseEvents-1). Either way each address's events are merged
 * in the order they came, the whole batch goes out as one pipeline, and Redis has taken every
 * event reported as stored when the promise resolves.
 */
export class IndexWriter {
  private readonly addresses = new AddressRegistry();
  private readonly perAddress: boolean;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly profiles: ProfileDictionary,
    private readonly retention: Retention = { days: 365, now: Date.now },
    options: WriterOptions = {},
  ) {
    this.perAddress = options.perAddress ?? (redis as { isCluster?: boolean }).isCluster === true;
  }

  /** The one place the profile id of an event is asked for. */
  private profileOf(e: CanonicalEvent, ingest: Ingest | null): number | Promise<number> {
    return this.profiles.idFor(e.kind === 'nat' ? e.privateVrf : e.vrf, e.source, ingest);
  }

  /** `ingest`: the path and credential the events came through, kept with each record they make. */
  async write(events: readonly CanonicalEvent[], ingest: Ingest | null = null): Promise<WriteOutcome> {
    const cutoff = this.retention.now() - this.retention.days * 86_400_000;
    const failed: WriteOutcome['failed'] = [];
    const prepared: Prepared[] = [];
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (latestInstant(e) < cutoff) {
        failed.push({
          index: i, transient: false, code: 'older_than_retention',
          reason: `older than the retention period of ${this.retention.days} days (WHOHAD_RETENTION_DAYS): not stored`,
        });
        continue;
      }
      const known = this.profileOf(e, ingest);
      const profile = typeof known === 'number' ? known : await known;
      prepared.push(this.prepare(e, i, profile));
    }
    if (prepared.length > 0) {
      const pipeline = this.redis.pipeline();
      const sent = this.perAddress ? this.queuePerAddress(pipeline, prepared) : this.queueBatches(pipeline, prepared);
      const replies = (await pipeline.exec()) ?? [];
      for (const s of sent) {
        for (const r of s.registrations) if (replies[r.slot] && !replies[r.slot][0]) this.addresses.taken(r.kind, r.address);
        const [scriptErr, out] = replies[s.slot] ?? [new Error('no reply from Redis'), null];
        s.events.forEach((p, j) => {
          // a prefix chain stored but not findable is reported unstored, so it is sent again (merges are idempotent)
          const err = scriptErr ?? (p.prefixLength !== null ? firstError(replies, s.needs) : null);
          if (err) failed.push(clientFailure(p.index, err));
          else if ((out as unknown[])[j] !== 1) failed.push(scriptFailure(p.index, (out as unknown[])[j]));
        });
      }
      failed.sort((a, b) => a.index - b.index);
    }
    return { failed, stored: events.length - failed.length };
  }

  private prepare(e: CanonicalEvent, index: number, profile: number): Prepared {
    if (e.kind === 'nat') {
      const cid = chainId(e.natInstance, e.portStart, e.portEnd, e.protocol);
      const first = e.portStart ?? 0;
      const span = (e.portEnd ?? 65535) - first;
      const who = ipToBytes(e.privateIp);
      return {
        index, kind: 'nat', address: e.publicIp, prefixLength: null, cid, first, span,
        args: [cid, first, span, e.event, e.at, e.allocatedAt ?? '', who, profile],
        packed: packNat(NAT_KIND[e.event], e.allocatedAt, profile, e.at, who),
      };
    }
    const lease = leaseAddress(e);
    return {
      index, kind: 'lease', address: `${e.vrf}|${lease.ip}`, prefixLength: lease.prefixLength, cid: '', first: 0, span: 0,
      args: [e.event === 'start' ? 'start' : e.endTimeUnknown ? 'bounded' : 'end', e.at, e.expiresAt ?? '', e.subscriberId, profile, leaseEndBasis(e)],
      packed: packLease(e, profile),
    };
  }

  /** Registers the address when new and records a delegated prefix's length; the positions to check. */
  private before(p: ChainableCommander, e: Prepared, s: Sent, seen: Map<string, number | null>): void {
    const key = `${e.kind}|${e.address}`;
    if (seen.has(key)) {
      const need = seen.get(key);
      if (need != null && !s.needs.includes(need)) s.needs.push(need);
      return;
    }
    const reg = this.addresses.note(p, e.kind, e.address);
    if (reg !== null) s.registrations.push({ slot: reg, kind: e.kind, address: e.address });
    let need: number | null = null;
    // look-ups of addresses inside delegated prefixes try each length held (idempotent, and rare)
    if (e.prefixLength !== null) {
      need = p.length;
      p.sadd(PREFIX_LENGTHS_KEY, e.prefixLength);
      s.needs.push(need);
    }
    seen.set(key, need);
  }

  /** Cluster mode: one call per address (its keys share one slot), at most PER_CALL events each. */
  private queuePerAddress(p: ChainableCommander, prepared: Prepared[]): Sent[] {
    const groups = new Map<string, Prepared[]>();
    const calls: Prepared[][] = [];
    for (const e of prepared) {
      const key = `${e.kind}|${e.address}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = []));
      g.push(e);
      if (g.length === PER_CALL) {
        calls.push(g);
        groups.delete(key);
      }
    }
    calls.push(...groups.values());
    return calls.map((g) => {
      const s: Sent = { slot: 0, events: g, needs: [], registrations: [] };
      this.before(p, g[0], s, new Map());
      s.slot = p.length;
      const a = g[0].address;
      if (g[0].kind === 'nat') {
        p.natEvents(natKeys.registry(a), natKeys.meta(a), natKeys.ipPrefix(a), ...g.flatMap((e) => e.args));
      } else {
        const cut = a.lastIndexOf('|');
        const [vrf, ip] = [a.slice(0, cut), a.slice(cut + 1)];
        p.leaseEvents(leaseKeys.meta(vrf, ip), leaseKeys.chainPrefix(vrf, ip), ...g.flatMap((e) => e.args));
      }
      return s;
    });
  }

  /** A single Redis: calls of up to PER_CALL events of one kind, covering many addresses. */
  private queueBatches(p: ChainableCommander, prepared: Prepared[]): Sent[] {
    const sent: Sent[] = [];
    const seen = new Map<string, number | null>();
    for (const kind of ['nat', 'lease'] as const) {
      const of = prepared.filter((e) => e.kind === kind);
      for (let i = 0; i < of.length; i += PER_CALL) {
        const events = of.slice(i, i + PER_CALL);
        const s: Sent = { slot: 0, events, needs: [], registrations: [] };
        for (const e of events) this.before(p, e, s, seen);
        s.slot = p.length;
        if (kind === 'nat') this.natBatch(p, events);
        else this.leaseBatch(p, events);
        sent.push(s);
      }
    }
    return sent;
  }

  private natBatch(p: ChainableCommander, events: Prepared[]): void {
    const addresses = new Map<string, number>();
    const chains = new Map<string, number>();
    const keys: string[] = [];
    const heads: Buffer[] = [];
    for (const e of events) {
      let a = addresses.get(e.address);
      if (a === undefined) {
        addresses.set(e.address, (a = addresses.size + 1));
        keys.push(natKeys.registry(e.address), natKeys.meta(e.address));
      }
      const ck = `${a}|${e.cid}`;
      let c = chains.get(ck);
      if (c === undefined) {
        chains.set(ck, (c = chains.size + 1));
        const cid = Buffer.from(e.cid, 'utf8');
        const head = Buffer.allocUnsafe(8);
        head.writeUInt16BE(a, 0);
        head.writeUInt16BE(e.first, 2);
        head.writeUInt16BE(e.span, 4);
        head.writeUInt16BE(cid.length, 6);
        heads.push(Buffer.concat([head, cid, Buffer.from(natKeys.chainPrefix(e.address, e.cid), 'utf8')]));
      }
      e.packed.writeUInt16BE(c, 2);
    }
    p.natBatch(keys.length, ...keys, heads.length, ...heads, ...events.map((e) => e.packed));
  }

  private leaseBatch(p: ChainableCommander, events: Prepared[]): void {
    const addresses = new Map<string, number>();
    const keys: string[] = [];
    const prefixes: string[] = [];
    for (const e of events) {
      let a = addresses.get(e.address);
      if (a === undefined) {
        addresses.set(e.address, (a = addresses.size + 1));
        const cut = e.address.lastIndexOf('|');
        const [vrf, ip] = [e.address.slice(0, cut), e.address.slice(cut + 1)];
        keys.push(leaseKeys.meta(vrf, ip));
        prefixes.push(leaseKeys.chainPrefix(vrf, ip));
      }
      e.packed.writeUInt16BE(a, 2);
    }
    p.leaseBatch(keys.length, ...keys, ...prefixes, ...events.map((e) => e.packed));
  }
}

function firstError(replies: Array<[Error | null, unknown]>, slots: number[]): Error | null {
  for (const s of slots) if (replies[s]?.[0]) return replies[s][0];
  return null;
}
