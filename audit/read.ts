import type { Cluster, Redis } from 'ioredis';
import { GENESIS } from './canonical.js';
import { auditKeys, recordHash, type AuditRecord } from './log.js';

export interface AuditFilter {
  user?: string;
  case?: string;
  subscriber?: string;
  /** Epoch ms, inclusive. */
  from?: number;
  to?: number;
  limit: number;
  /** Stream id to continue before (the `next` of the previous page). */
  before?: string;
}

function parse(id: string, fields: string[]): AuditRecord {
  const r = JSON.parse(fields[fields.indexOf('r') + 1]) as AuditRecord;
  return { ...r, id };
}

const idOf = (ms: number, last: boolean) => `${ms}-${last ? '18446744073709551615' : '0'}`;

/** One page of the access log, newest first, and the cursor for the next page. */
export async function auditPage(redis: Redis | Cluster, f: AuditFilter): Promise<{ records: AuditRecord[]; next: string | null }> {
  const max = f.before ? `(${f.before}` : f.to !== undefined ? idOf(f.to, true) : '+';
  const min = f.from !== undefined ? idOf(f.from, false) : '-';
  const indexKey = f.subscriber ? `sub:${f.subscriber}` : f.case ? `case:${f.case}` : f.user ? `user:${f.user}` : null;
  let records: AuditRecord[];
  if (indexKey === null) {
    const rows = await redis.xrevrange(auditKeys.log, max, min, 'COUNT', f.limit);
    records = rows.map(([id, fields]) => parse(id, fields));
  } else {
    // index members are stream ids; walk newest first, keeping those in the time range
    const ids = (await redis.zrevrange(`${auditKeys.index}${indexKey}`, 0, -1)).filter((id) => {
      const ms = Number(id.split('-')[0]);
      return (f.from === undefined || ms >= f.from) && (f.to === undefined || ms <= f.to) && (!f.before || compareIds(id, f.before) < 0);
    });
    records = [];
    for (const id of ids) {
      const rows = await redis.xrange(auditKeys.log, id, id);
      if (rows.length === 0) continue;
      const r = parse(rows[0][0], rows[0][1]);
      if ((f.user && r.user !== f.user) || (f.case && r.case !== f.case) || (f.subscriber && !r.disclosed.includes(f.subscriber))) continue;
      records.push(r);
      if (records.length === f.limit) break;
    }
  }
  return { records, next: records.length === f.limit ? records[records.length - 1].id! : null };
}

function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  return am !== bm ? (am < bm ? -1 : 1) : as === bs ? 0 : as < bs ? -1 : 1;
}

export interface VerifyResult {
  ok: boolean;
  records: number;
  /** The first record that breaks the chain, and why. */
  broken: { seq: number | null; id: string; reason: string } | null;
  anchor: { seq: number; hash: string };
}

/**
 * Recomputes the chain from its anchor (the record before the oldest kept one, or the start):
 * each record's hash must match its content, its prev the hash before it, its seq one more,
 * and the last record must be the head.
 */
export async function verifyChain(redis: Redis | Cluster): Promise<VerifyResult> {
  const [aSeq, aHash] = await redis.hmget(auditKeys.anchor, 'seq', 'hash');
  const anchor = { seq: aSeq === null ? 0 : Number(aSeq), hash: aHash ?? GENESIS };
  let prev = anchor.hash;
  let seq = anchor.seq;
  let count = 0;
  let cursor = '-';
  const fail = (id: string, s: number | null, reason: string): VerifyResult => ({ ok: false, records: count, broken: { seq: s, id, reason }, anchor });
  for (;;) {
    const rows = await redis.xrange(auditKeys.log, cursor, '+', 'COUNT', 1000);
    for (const [id, fields] of rows) {
      let r: AuditRecord;
      try {
        r = parse(id, fields);
      } catch {
        return fail(id, null, 'record is not readable JSON');
      }
      const stored = Number(fields[fields.indexOf('seq') + 1]);
      if (r.seq !== stored) return fail(id, r.seq, `sequence field ${stored} differs from the record's own ${r.seq}`);
      if (r.seq !== seq + 1) return fail(id, r.seq, r.seq > seq + 1 ? `records ${seq + 1} to ${r.seq - 1} are missing` : `sequence ${r.seq} follows ${seq}`);
      if (r.prev !== prev) return fail(id, r.seq, 'prev does not match the hash of the record before it');
      const { hash, id: _id, ...body } = r;
      if (recordHash(body) !== hash) return fail(id, r.seq, 'content does not match its hash (the record was altered)');
      prev = hash;
      seq = r.seq;
      count++;
    }
    if (rows.length < 1000) break;
    cursor = `(${rows[rows.length - 1][0]}`;
  }
  const [hSeq, hHash] = await redis.hmget(auditKeys.head, 'seq', 'hash');
  if (hSeq !== null && (Number(hSeq) !== seq || hHash !== prev)) {
    return fail('head', Number(hSeq), Number(hSeq) > seq ? `records ${seq + 1} to ${hSeq} are missing at the end` : 'the head does not match the last record');
  }
  return { ok: true, records: count, broken: null, anchor };
}
