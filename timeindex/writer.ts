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

/** Events of one address: merged by one script call, in their order. */
interface Group {
  kind: 'nat' | 'lease';
  address: string;
  /** Of a delegated IPv6 prefix's lease chain. */
  prefixLength: number | null;
  args: Array<string | number | Buffer>;
  indices: number[];
}

/** Events one script call merges at most, so that no call blocks Redis for long. */
const PER_CALL = 256;

/**
 * Stores canonical events in the time index. The events of a batch are grouped by address and
 * each group is merged by one script call (in the order the events came); the whole batch goes
 * out as one pipeline. Redis has taken every event reported as stored when the promise
 * resolves.
 */
export class IndexWriter {
  private readonly addresses = new AddressRegistry();

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly profiles: ProfileDictionary,
    private readonly retention: Retention = { days: 365, now: Date.now },
  ) {}

  /** `ingest`: the path and credential the events came through, kept with each record they make. */
  async write(events: readonly CanonicalEvent[], ingest: Ingest | null = null): Promise<WriteOutcome> {
    const cutoff = this.retention.now() - this.retention.days * 86_400_000;
    const failed: WriteOutcome['failed'] = [];
    const groups = new Map<string, Group>();
    const full: Group[] = [];
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (latestInstant(e) < cutoff) {
        failed.push({
          index: i, transient: false, code: 'older_than_retention',
          reason: `older than the retention period of ${this.retention.days} days (WHOHAD_RETENTION_DAYS): not stored`,
        });
        continue;
      }
      const vrf = e.kind === 'nat' ? e.privateVrf : e.vrf;
      const known = this.profiles.idFor(vrf, e.source, ingest);
      const profile = typeof known === 'number' ? known : await known;
      const lease = e.kind === 'lease' ? leaseAddress(e) : null;
      const address = e.kind === 'nat' ? e.publicIp : `${e.vrf}|${lease!.ip}`;
      const key = `${e.kind}|${address}`;
      let g = groups.get(key);
      if (!g) {
        g = { kind: e.kind, address, prefixLength: lease?.prefixLength ?? null, args: [], indices: [] };
        groups.set(key, g);
      }
      if (e.kind === 'nat') {
        const cid = chainId(e.natInstance, e.portStart, e.portEnd, e.protocol);
        const first = e.portStart ?? 0;
        g.args.push(cid, first, (e.portEnd ?? 65535) - first, e.event, e.at, e.allocatedAt ?? '', ipToBytes(e.privateIp), profile);
      } else {
        g.args.push(e.event === 'start' ? 'start' : 'end', e.at, e.expiresAt ?? '', e.subscriberId, profile, leaseEndBasis(e));
      }
      g.indices.push(i);
      if (g.indices.length === PER_CALL) {
        full.push(g);
        groups.delete(key);
      }
    }
    const calls = [...full, ...groups.values()];
    if (calls.length > 0) {
      const pipeline = this.redis.pipeline();
      // each call's reply position; address registrations sit in between
      const registrations: Array<number | null> = [];
      const slots = calls.map((g) => {
        registrations.push(this.addresses.note(pipeline, g.kind, g.address));
        // look-ups of addresses inside delegated prefixes try each length held (idempotent, and rare)
        if (g.prefixLength !== null) pipeline.sadd(PREFIX_LENGTHS_KEY, g.prefixLength);
        const slot = pipeline.length;
        this.queue(pipeline, g);
        return slot;
      });
      const replies = (await pipeline.exec()) ?? [];
      calls.forEach((g, c) => {
        const reg = registrations[c];
        if (reg !== null && replies[reg] && !replies[reg][0]) this.addresses.taken(g.kind, g.address);
        const [scriptErr, out] = replies[slots[c]] ?? [new Error('no reply from Redis'), null];
        // a prefix chain stored but not findable is reported unstored, so it is sent again (merges are idempotent)
        const err = scriptErr ?? (g.prefixLength !== null ? replies[slots[c] - 1]?.[0] : null);
        g.indices.forEach((index, j) => {
          if (err) failed.push(clientFailure(index, err));
          else if ((out as unknown[])[j] !== 1) failed.push(scriptFailure(index, (out as unknown[])[j]));
        });
      });
      failed.sort((a, b) => a.index - b.index);
    }
    return { failed, stored: events.length - failed.length };
  }

  private queue(p: ChainableCommander, g: Group) {
    if (g.kind === 'nat') {
      p.natEvents(natKeys.registry(g.address), natKeys.meta(g.address), natKeys.ipPrefix(g.address), ...g.args);
    } else {
      const cut = g.address.lastIndexOf('|');
      const vrf = g.address.slice(0, cut);
      const ip = g.address.slice(cut + 1);
      p.leaseEvents(leaseKeys.meta(vrf, ip), leaseKeys.chainPrefix(vrf, ip), ...g.args);
    }
  }
}
