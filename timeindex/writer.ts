import type { Cluster, Redis } from 'ioredis';
import { ipToBytes } from '../core/ip.js';
import type { CanonicalEvent, LeaseEvent, NatEvent } from '../schemas/events.js';
import { chainId, EndBasisCode, leaseKeys, natKeys } from './keys.js';
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
export class IndexWriter {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly profiles: ProfileDictionary,
  ) {}

  async write(events: readonly CanonicalEvent[]): Promise<WriteOutcome> {
    const pipeline = this.redis.pipeline();
    for (const e of events) {
      if (e.kind === 'nat') await this.queueNat(pipeline, e);
      else await this.queueLease(pipeline, e);
    }
    const results = (await pipeline.exec()) ?? [];
    const failed: WriteOutcome['failed'] = [];
    results.forEach(([err], index) => {
      if (err) failed.push({ index, reason: `not stored: ${err.message}` });
    });
    return { failed, stored: events.length - failed.length };
  }

  private async queueNat(p: ReturnType<Redis['pipeline']>, e: NatEvent) {
    const profile = await this.profiles.idFor(e.privateVrf, e.source);
    const cid = chainId(e.natInstance, e.portStart, e.portEnd, e.protocol);
    const first = e.portStart ?? 0;
    const span = (e.portEnd ?? 65535) - first;
    p.natEvent(
      natKeys.registry(e.publicIp), natKeys.meta(e.publicIp), natKeys.chainPrefix(e.publicIp, cid), cid, first, span,
      e.event, e.at, e.allocatedAt ?? '', ipToBytes(e.privateIp), profile,
    );
  }

  private async queueLease(p: ReturnType<Redis['pipeline']>, e: LeaseEvent) {
    const profile = await this.profiles.idFor(e.vrf, e.source);
    p.leaseEvent(
      leaseKeys.meta(e.vrf, e.ip), leaseKeys.chainPrefix(e.vrf, e.ip), e.event === 'start' ? 'start' : 'end', e.at,
      e.expiresAt ?? '', e.subscriberId, profile, leaseEndBasis(e),
    );
  }
}
