import type { Cluster, Redis, Result } from 'ioredis';
import { scanKeys } from '../redis/cluster.js';
import { auditKeys, formatPoint, type AccessLog, type AuditRecord } from './log.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    auditPurge(log: string, anchors: string, firstKept: string, ...chainPoints: string[]): Result<number, Context>;
  }
}

/**
 * Removes access-log records older than the retention of the access log (separate from that
 * of attribution data), moving each chain's anchor to its last dropped record so what remains
 * still verifies, and records the purge itself in the log. Reads the expired records once to
 * find those anchors: the cost is the number of records that go.
 */
export async function purgeAccessLog(redis: Redis | Cluster, log: AccessLog, retentionDays: number, now = Date.now()): Promise<number> {
  const cutoff = now - retentionDays * 86_400_000;
  const lastExpired = `${cutoff - 1}-18446744073709551615`;
  const anchors = new Map<string, string>();
  let lastId: string | null = null;
  for (let from = '-'; ; ) {
    const rows = await redis.xrange(auditKeys.log, from, lastExpired, 'COUNT', 1000);
    for (const [id, fields] of rows) {
      const r = JSON.parse(fields[fields.indexOf('r') + 1]) as AuditRecord;
      anchors.set(r.chain, formatPoint(r));
      lastId = id;
    }
    if (rows.length < 1000) break;
    from = `(${lastId}`;
  }
  if (lastId === null) return 0;
  const [ms, n] = lastId.split('-').map(BigInt);
  const dropped = await redis.auditPurge(auditKeys.log, auditKeys.anchors, `${ms}-${n + 1n}`, ...[...anchors].flat());
  // index entries pointing at dropped records are cleared afterwards; readers skip any left over
  // (on a Cluster, SCAN runs on every primary: a node's SCAN sees only its own keys)
  await scanKeys(redis, `${auditKeys.index}*`, async (keys) => {
    for (const k of keys) await redis.zremrangebyscore(k, '-inf', `(${cutoff}`);
  });
  await log.append({
    kind: 'purge', time: new Date(now).toISOString(), user: null, tokenId: null, client: null, disclosed: [],
    details: { log: 'access', before: new Date(cutoff).toISOString(), records: dropped, anchors: Object.fromEntries(anchors) },
  });
  return dropped;
}
