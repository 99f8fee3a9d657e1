import type { Cluster, Redis } from 'ioredis';
import type { AccessLog } from '../audit/log.js';
import { bytesToIp } from '../core/ip.js';
import { isoMs } from '../core/time.js';
import { ADDRESS_SHARDS, addressSetKey, type AddressKind } from '../timeindex/addresses.js';
import { coverages, intersects } from '../timeindex/coverage.js';
import { ProfileDictionary } from '../timeindex/profiles.js';
import { haveExpiredBuckets, noCounts, purgeAddress, purgeHorizon, type ChainKeep, type PurgeCounts, type PurgeRun, type Range } from '../timeindex/purge.js';
import { IndexReader } from '../timeindex/reader.js';
import type { Hold } from './holds.js';

/**
 * How far the records a query reads reach before the instant asked: a tolerance of at most
 * 3600 s (schemas/attribution.ts) either side, and the resolver still answers an instant that
 * lies up to one tolerance before the retention cutoff (resolver/resolve.ts). Records this
 * close to the cutoff, or to a hold's range, stay, so those answers never lose a candidate.
 */
export const QUERY_MARGIN_MS = 2 * 3_600_000;

export interface PurgeOptions {
  redis: Redis | Cluster;
  /** Instants before this are outside retention (now − WHOHAD_RETENTION_DAYS). */
  cutoffMs: number;
  /** Active legal holds; null for none. */
  holds: { active(): Promise<Hold[]> } | null;
  /** Count what would go, remove nothing, record nothing. */
  dryRun?: boolean;
  /** Where a purge that removed something is recorded. */
  log: AccessLog | null;
  /** Who runs it, for the access log (the scheduler: nobody). */
  user?: string | null;
  /** VRF of the leases of public addresses themselves (WHOHAD_DIRECT_VRF); a hold on the address keeps them too. */
  directVrf?: string;
}

/** A purge's figures: the index's counts (keptByHold: entries a legal hold kept) and the policy's. */
export interface PurgeResult extends PurgeCounts {
  dryRun: boolean;
  cutoff: string;
  /** Entries that ended before this go (the cutoff less QUERY_MARGIN_MS). */
  endedBefore: string;
  /** Only buckets wholly before this are purged. */
  bucketsBefore: string;
  /** Addresses whose meta was read. */
  addresses: number;
  /** Ids of the holds applied. */
  holds: string[];
}

/** What the active holds keep, in the terms of the chains. */
interface Keep {
  /** Ranges every NAT chain keeps (holds on subscribers: their NAT side cannot be told apart). */
  natAll: Range[];
  natByIp: Map<string, Range[]>;
  /** Lease chains (`vrf|ip`) behind held public addresses, over the time those pointed at them. */
  leaseByAddress: Map<string, Range[]>;
  subscribers: Array<[string, number, number]>;
}

const push = <K, V>(m: Map<K, V[]>, k: K, v: V) => {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
};

async function keepOf(redis: Redis | Cluster, holds: Hold[], directVrf: string): Promise<Keep> {
  const keep: Keep = { natAll: [], natByIp: new Map(), leaseByAddress: new Map(), subscribers: [] };
  const reader = new IndexReader(redis);
  const profiles = new ProfileDictionary(redis);
  for (const h of holds) {
    const from = Date.parse(h.scope.from) - QUERY_MARGIN_MS;
    const to = Date.parse(h.scope.to) + QUERY_MARGIN_MS;
    if (h.scope.subscribers.length > 0) keep.natAll.push([from, to]);
    for (const s of h.scope.subscribers) keep.subscribers.push([s, from, to]);
    for (const ip of h.scope.publicIps) {
      push(keep.natByIp, ip, [from, to] as Range);
      for (const address of await reader.directAddresses(ip)) push(keep.leaseByAddress, `${directVrf}|${address}`, [from, to] as Range);
      // the leases behind the address over the hold, found from its allocations (read before
      // anything is purged; they are kept by the hold anyway)
      const stab = await reader.nat(ip, null, from, to);
      const found = stab.chains.flatMap((c) => coverages(c.entries).filter((cv) => intersects(cv, from, to)));
      const known = await profiles.describe(found.map((cv) => cv.entry.profile));
      for (const cv of found) {
        const vrf = known.get(cv.entry.profile)?.vrf ?? 'default';
        push(keep.leaseByAddress, `${vrf}|${bytesToIp(cv.entry.who)}`, [Math.max(cv.from, from), Math.min(cv.to, to)] as Range);
      }
    }
  }
  return keep;
}

/**
 * Removes attribution records that ended before the retention cutoff, except what legal holds
 * keep (docs/retention.md). Visits every registered address but reads only its meta unless it
 * has buckets wholly before the cutoff; the work is in those buckets alone. Each chain is
 * purged atomically by one script; what a query within retention would read never changes.
 */
export async function purgeAttribution(opts: PurgeOptions): Promise<PurgeResult> {
  const { redis } = opts;
  const dryRun = opts.dryRun ?? false;
  const endedBefore = opts.cutoffMs - QUERY_MARGIN_MS;
  const active = opts.holds ? await opts.holds.active() : [];
  // a hold whose range lies wholly within retention cannot keep anything yet
  const applied = active.filter((h) => Date.parse(h.scope.from) - QUERY_MARGIN_MS < endedBefore);
  const keep = await keepOf(redis, applied, opts.directVrf ?? 'default');
  const run: PurgeRun = { endedBefore, margin: QUERY_MARGIN_MS, dryRun };
  const counts = noCounts();
  let addresses = 0;

  // holds on subscribers keep their lease chains' entries; their NAT side cannot be told apart, so it keeps by range
  const keepOfAddress = (kind: AddressKind, id: string): ChainKeep =>
    kind === 'nat'
      ? { ranges: [...keep.natAll, ...(keep.natByIp.get(id) ?? [])], holders: [] }
      : { ranges: keep.leaseByAddress.get(id) ?? [], holders: keep.subscribers };

  for (const kind of ['nat', 'lease'] as AddressKind[]) {
    for (let shard = 0; shard < ADDRESS_SHARDS; shard++) {
      const key = addressSetKey(kind, shard);
      // SSCAN may return a member twice; purging it twice would be harmless but count twice
      const seen = new Set<string>();
      let cursor = '0';
      do {
        const [next, page] = await redis.sscan(key, cursor, 'COUNT', 500);
        cursor = next;
        const ids = page.filter((id) => !seen.has(id));
        for (const id of ids) seen.add(id);
        if (ids.length === 0) continue;
        addresses += ids.length;
        const due = await haveExpiredBuckets(redis, kind, ids, endedBefore);
        const expired = ids.filter((_, i) => due[i]);
        for (let i = 0; i < expired.length; i += 16) {
          await Promise.all(expired.slice(i, i + 16).map((id) => purgeAddress(redis, kind, id, run, keepOfAddress(kind, id), counts)));
        }
      } while (cursor !== '0');
    }
  }

  const out: PurgeResult = {
    dryRun, cutoff: isoMs(opts.cutoffMs), endedBefore: isoMs(endedBefore), bucketsBefore: isoMs(purgeHorizon(endedBefore).bucketsBefore),
    addresses, ...counts, holds: applied.map((h) => h.id),
  };
  if (!dryRun && opts.log && (out.records > 0 || out.keysDeleted > 0)) {
    await opts.log.append({
      kind: 'purge', time: new Date().toISOString(), user: opts.user ?? null, tokenId: null, client: null, disclosed: [],
      details: {
        data: 'attribution', cutoff: out.cutoff, endedBefore: out.endedBefore, bucketsBefore: out.bucketsBefore, records: out.records,
        buckets: out.buckets, keysDeleted: out.keysDeleted, keptByHold: out.keptByHold, keptLive: out.keptLive, holds: out.holds,
      },
    });
  }
  return out;
}
