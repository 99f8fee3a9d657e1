import type { Cluster, Redis } from 'ioredis';
import { ipToBytes } from '../core/ip.js';
import type { CanonicalEvent, LeaseEvent, NatEvent } from '../schemas/events.js';
import { chainId, EndBasisCode, leaseKeys, natKeys } from './keys.js';
import { AddressRegistry } from './addresses.js';
import type { ProfileDictionary } from './profiles.js';

/** Where a lease end came from decides what it proves: a RADIUS Stop ends a session. */
function leaseEndBasis(e: LeaseEvent): EndBasisCode {
  if (e.event === 'expire') return EndBasisCode.Expired;
  return e.source.startsWith('radius') ? EndBasisCode.Stop : EndBasisCode.Released;
}

export interface WriteOutcome {
  /** Index of the event in the batch and why it was not stored. */
  failed: Array<{ index: number; reason: string }>;
  stored: number;
}

/**
 * Stores canonical events in the time index. A batch goes out as one pipeline; Redis has taken
 * every event reported as stored when the promise resolves.
 */
export interface Retention {
  days: number;
  now: () => number;
}

/** The last instant an event speaks for: a lease start runs on to its expiry. */
function latestInstant(e: CanonicalEvent): number {
  return e.kind === 'lease' && e.expiresAt !== null ? Math.max(e.at, e.expiresAt) : e.at;
}

export class IndexWriter {
  private readonly addresses = new AddressRegistry();

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly profiles: ProfileDictionary,
    private readonly retention: Retention = { days: 365, now: Date.now },
  ) {}

  async write(events: readonly CanonicalEvent[]): Promise<WriteOutcome> {
    const cutoff = this.retention.now() - this.retention.days * 86_400_000;
    const pipeline = this.redis.pipeline();
    const failed: WriteOutcome['failed'] = [];
    const queued: number[] = [];
    // pipeline position of each queued event's reply (address registrations sit in between)
    const slots: number[] = [];
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (latestInstant(e) < cutoff) {
        failed.push({ index: i, reason: `older than the retention period of ${this.retention.days} days (WHOHAD_RETENTION_DAYS): not stored` });
        continue;
      }
      const vrf = e.kind === 'nat' ? e.privateVrf : e.vrf;
      const known = this.profiles.idFor(vrf, e.source);
      const profile = typeof known === 'number' ? known : await known;
      if (e.kind === 'nat') this.addresses.note(pipeline, 'nat', e.publicIp);
      else this.addresses.note(pipeline, 'lease', `${e.vrf}|${e.ip}`);
      slots.push(pipeline.length);
      if (e.kind === 'nat') this.queueNat(pipeline, e, profile);
      else this.queueLease(pipeline, e, profile);
      queued.push(i);
    }
    if (queued.length > 0) {
      const results = (await pipeline.exec()) ?? [];
      slots.forEach((slot, j) => {
        const err = results[slot]?.[0];
        if (err) failed.push({ index: queued[j], reason: `not stored: ${err.message}` });
      });
      failed.sort((a, b) => a.index - b.index);
    }
    return { failed, stored: events.length - failed.length };
  }

  private queueNat(p: ReturnType<Redis['pipeline']>, e: NatEvent, profile: number) {
    const cid = chainId(e.natInstance, e.portStart, e.portEnd, e.protocol);
    const first = e.portStart ?? 0;
    const span = (e.portEnd ?? 65535) - first;
    p.natEvent(
      natKeys.registry(e.publicIp), natKeys.meta(e.publicIp), natKeys.chainPrefix(e.publicIp, cid), cid, first, span,
      e.event, e.at, e.allocatedAt ?? '', ipToBytes(e.privateIp), profile,
    );
  }

  private queueLease(p: ReturnType<Redis['pipeline']>, e: LeaseEvent, profile: number) {
    p.leaseEvent(
      leaseKeys.meta(e.vrf, e.ip), leaseKeys.chainPrefix(e.vrf, e.ip), e.event === 'start' ? 'start' : 'end', e.at,
      e.expiresAt ?? '', e.subscriberId, profile, leaseEndBasis(e),
    );
  }
}
