import type { Cluster, Redis } from 'ioredis';
import type { AddressKind } from './addresses.js';
import { BUCKET_MS, bucketOf } from './format.js';
import { leaseKeys, natKeys } from './keys.js';

/**
 * Removing old entries from the time index (docs/retention.md). The index decides what an
 * entry covers and what still counts (an entry running past the cutoff, one bounding an orphan
 * end that stays); the caller says only up to when, and what to keep besides.
 */

/** A closed range of instants, epoch ms. */
export type Range = [number, number];

/** What the caller keeps of an address's chains besides what still counts. */
export interface ChainKeep {
  /** Entries meeting one of these ranges stay. */
  ranges: Range[];
  /**
   * Entries of this holder (subscriber id) meeting the range stay, and so does every entry
   * within the margin of one of them (so a kept answer keeps its ambiguity).
   */
  holders: Array<[string, number, number]>;
}

export interface PurgeRun {
  /** Entries that ended before this go; only buckets wholly before it are read. */
  endedBefore: number;
  /** How far a query window reaches beyond the instant asked, ms. */
  margin: number;
  /** Count what would go, remove nothing. */
  dryRun: boolean;
}

export interface PurgeCounts {
  /** Chains that had expired buckets: the only ones whose keys were read. */
  chains: number;
  /** Expired bucket keys read. */
  buckets: number;
  /** Entries removed (or, in a dry run, that would be). */
  records: number;
  /** Bucket keys emptied and so gone. */
  keysDeleted: number;
  /** Entries in expired buckets kept by the caller's ranges or holders. */
  keptByHold: number;
  /** Entries in expired buckets kept because they still count. */
  keptLive: number;
}

export const noCounts = (): PurgeCounts => ({ chains: 0, buckets: 0, records: 0, keysDeleted: 0, keptByHold: 0, keptLive: 0 });

/** The last bucket a purge up to `endedBefore` reads, and the instant the buckets it leaves begin. */
export function purgeHorizon(endedBefore: number): { lastBucket: number; bucketsBefore: number } {
  const lastBucket = bucketOf(endedBefore) - 1;
  return { lastBucket, bucketsBefore: (lastBucket + 1) * BUCKET_MS };
}

/** A lease address is registered as `<vrf>|<ip>`; an address never holds `|`, a VRF name may. */
function splitLeaseId(id: string): [string, string] {
  const cut = id.lastIndexOf('|');
  return [id.slice(0, cut), id.slice(cut + 1)];
}

const metaKey = (kind: AddressKind, id: string) => (kind === 'nat' ? natKeys.meta(id) : leaseKeys.meta(...splitLeaseId(id)));

/** Which registered addresses have buckets a purge up to `endedBefore` would read. */
export async function haveExpiredBuckets(redis: Redis | Cluster, kind: AddressKind, ids: string[], endedBefore: number): Promise<boolean[]> {
  const { lastBucket } = purgeHorizon(endedBefore);
  const los = await Promise.all(ids.map((id) => redis.hget(metaKey(kind, id), 'lo')));
  return los.map((lo) => lo !== null && Number(lo) <= lastBucket);
}

const rangeArgs = (ranges: Range[]) => [ranges.length, ...ranges.flatMap(([f, t]) => [Math.trunc(f), Math.trunc(t)])];
const holderArgs = (holders: ChainKeep['holders']) => [holders.length, ...holders.flat().map((v) => (typeof v === 'number' ? Math.trunc(v) : v))];

/** Makes sure the purge scripts are defined on a client that has not met the index yet. */
function ready(redis: Redis | Cluster) {
}

/** Purges one chain atomically; returns the first bucket from lo on that still holds an entry. */
async function purgeChain(redis: Redis | Cluster, meta: string, prefix: string, ownsMeta: boolean, run: PurgeRun, keep: ChainKeep, counts: PurgeCounts): Promise<number> {
  const { lastBucket } = purgeHorizon(run.endedBefore);
  const r = await redis.purgeChain(
    meta, prefix, run.endedBefore, lastBucket, run.dryRun ? 0 : 1, ownsMeta ? 1 : 0, run.margin, ...rangeArgs(keep.ranges), ...holderArgs(keep.holders),
  );
  counts.chains++;
  counts.buckets += r[0];
  counts.records += r[1];
  counts.keysDeleted += r[2];
  counts.keptByHold += r[3];
  counts.keptLive += r[4];
  return r[5];
}

/**
 * Purges every chain of a registered address (a public address's allocation chains, or one
 * lease chain `<vrf>|<ip>`), adding what it did to `counts`. Each chain is purged atomically;
 * what a query within retention would read never changes.
 */
export async function purgeAddress(redis: Redis | Cluster, kind: AddressKind, id: string, run: PurgeRun, keep: ChainKeep, counts: PurgeCounts): Promise<void> {
  ready(redis);
  if (kind === 'lease') {
    const [vrf, ip] = splitLeaseId(id);
    await purgeChain(redis, leaseKeys.meta(vrf, ip), leaseKeys.chainPrefix(vrf, ip), true, run, keep, counts);
    return;
  }
  const cids = await redis.zrange(natKeys.registry(id), '0', '-1');
  const firsts = await Promise.all(cids.map((cid) => purgeChain(redis, natKeys.meta(id), natKeys.chainPrefix(id, cid), false, run, keep, counts)));
  // an address may have tens of thousands of chains: no spread into Math.min
  const upTo = firsts.reduce((m, f) => (f >= 0 && f < m ? f : m), Infinity);
  // the chains share the meta hash, so its first bucket moves on once all have been purged
  if (!run.dryRun && Number.isFinite(upTo)) await redis.purgeAdvance(natKeys.registry(id), natKeys.meta(id), natKeys.ipPrefix(id), upTo);
}
