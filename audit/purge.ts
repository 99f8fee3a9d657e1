import { readFileSync } from 'node:fs';
import type { Cluster, Redis, Result } from 'ioredis';
import { scanKeys } from '../core/redis-connect.js';
import { auditKeys, type AccessLog, type AuditRecord } from './log.js';

const lua = readFileSync(new URL('./lua/auditPurge-2.lua', import.meta.url), 'utf8');

declare module 'ioredis' {
  interface RedisCommander<Context> {
    auditPurge(log: string, anchor: string, firstKept: string, seq: number, hash: string): Result<number, Context>;
  }
}

export function defineAuditPurge(client: Redis | Cluster): void {
  client.defineCommand('auditPurge', { numberOfKeys: 2, lua });
}

/**
 * Removes access-log records older than the retention of the access log (separate from that
 * of attribution data), re-anchoring the chain so what remains still verifies, and records the
 * purge itself in the log.
 */
export async function purgeAccessLog(redis: Redis | Cluster, log: AccessLog, retentionDays: number, now = Date.now()): Promise<number> {
  const cutoff = now - retentionDays * 86_400_000;
  const last = await redis.xrevrange(auditKeys.log, `${cutoff - 1}-18446744073709551615`, '-', 'COUNT', 1);
  if (last.length === 0) return 0;
  const [id, fields] = last[0];
  const record = JSON.parse(fields[fields.indexOf('r') + 1]) as AuditRecord;
  const [ms, n] = id.split('-').map(BigInt);
  const firstKept = `${ms}-${n + 1n}`;
  const dropped = await redis.auditPurge(auditKeys.log, auditKeys.anchor, firstKept, record.seq, record.hash);
  // index entries pointing at dropped records are cleared afterwards; readers skip any left over
  // (on a Cluster, SCAN runs on every primary: a node's SCAN sees only its own keys)
  await scanKeys(redis, `${auditKeys.index}*`, async (keys) => {
    for (const k of keys) await redis.zremrangebyscore(k, '-inf', record.seq);
  });
  await log.append({
    kind: 'purge', time: new Date(now).toISOString(), user: null, tokenId: null, client: null, disclosed: [],
    details: { log: 'access', before: new Date(cutoff).toISOString(), records: dropped, anchorSeq: record.seq },
  });
  return dropped;
}
