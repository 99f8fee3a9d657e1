import type { Cluster, Redis } from 'ioredis';
import { auditKeys, parsePoint, recordHash, type AuditRecord, type ChainPoint } from './log.js';

export interface AuditFilter {
  user?: string;
  /** Not indexed: alone it reads the log newest first (bound it with from/to on a long log). */
  tokenId?: string;
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

/** Records read at a time when a filter has no index. */
const SCAN_CHUNK = 1000;

const idOf = (ms: number, last: boolean) => `${ms}-${last ? '18446744073709551615' : '0'}`;

/** One page of the access log, newest first, and the cursor for the next page. */
export async function auditPage(redis: Redis | Cluster, f: AuditFilter): Promise<{ records: AuditRecord[]; next: string | null }> {
  const max = f.before ? `(${f.before}` : f.to !== undefined ? idOf(f.to, true) : '+';
  const min = f.from !== undefined ? idOf(f.from, false) : '-';
  const indexKey = f.subscriber ? `sub:${f.subscriber}` : f.case ? `case:${f.case}` : f.user ? `user:${f.user}` : null;
  let records: AuditRecord[];
  if (indexKey === null && f.tokenId === undefined) {
    const rows = await redis.xrevrange(auditKeys.log, max, min, 'COUNT', f.limit);
    records = rows.map(([id, fields]) => parse(id, fields));
  } else if (indexKey === null) {
    records = [];
    for (let upTo = max; records.length < f.limit; ) {
      const rows = await redis.xrevrange(auditKeys.log, upTo, min, 'COUNT', SCAN_CHUNK);
      for (const [id, fields] of rows) {
        const r = parse(id, fields);
        if (r.tokenId === f.tokenId) records.push(r);
        if (records.length === f.limit) break;
      }
      if (rows.length < SCAN_CHUNK) break;
      upTo = `(${rows[rows.length - 1][0]}`;
    }
  } else {
    // index members are stream ids scored by their milliseconds; walk newest first, keeping
    // those in the time range (ids of one millisecond are ordered here, not by the sorted set)
    const ids = (
      await redis.zrevrangebyscore(`${auditKeys.index}${indexKey}`, f.to ?? '+inf', f.from ?? '-inf')
    )
      .filter((id) => !f.before || compareIds(id, f.before) < 0)
      .sort((a, b) => compareIds(b, a));
    records = [];
    for (const id of ids) {
      const rows = await redis.xrange(auditKeys.log, id, id);
      if (rows.length === 0) continue;
      const r = parse(rows[0][0], rows[0][1]);
      if ((f.user && r.user !== f.user) || (f.tokenId && r.tokenId !== f.tokenId) || (f.case && r.case !== f.case) || (f.subscriber && !r.disclosed.includes(f.subscriber))) continue;
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

export interface ChainState {
  chain: string;
  /** Where verification of this chain started: its anchor, or 0 at its beginning. */
  anchorSeq: number;
  /** The last record verified. */
  headSeq: number;
  records: number;
}

export interface VerifyResult {
  ok: boolean;
  records: number;
  /** The first record that breaks a chain, and why. */
  broken: { chain: string | null; seq: number | null; id: string; reason: string } | null;
  chains: ChainState[];
}

interface Walk {
  anchor: ChainPoint;
  at: ChainPoint;
  records: number;
  /** The oldest record kept, and the stream id of the newest. */
  first: (ChainPoint & { id: string }) | null;
  lastId: string | null;
}

/** A purge as its (verified) record tells it: when, what it dropped before, where it left each chain's anchor. */
export interface PurgeSeen {
  id: string;
  time: string;
  before: string;
  anchors: Record<string, string>;
}

/** What a walk over the whole log found, beyond the verdict: for checking it against a checkpoint. */
export interface LogWalk {
  result: VerifyResult;
  chains: Map<string, Walk>;
  /** Hashes of the records asked for, by "chain seq". */
  found: Map<string, string>;
  purges: PurgeSeen[];
  /** Stream id of the newest record. */
  lastId: string | null;
}

export const pointKey = (chain: string, seq: number) => `${chain} ${seq}`;

/**
 * Recomputes every chain from its anchor (the record before the oldest kept one, or the start):
 * each record's hash must match its content, its prev the hash of the record before it in its
 * chain, its seq one more, and each chain's last record must be its head. The anchors themselves
 * are trusted here: only a checkpoint kept outside Redis can vouch for them (checkpoint.ts).
 */
export async function verifyChain(redis: Redis | Cluster): Promise<VerifyResult> {
  return (await walkLog(redis)).result;
}

export async function walkLog(redis: Redis | Cluster, wanted: Set<string> = new Set()): Promise<LogWalk> {
  const [anchors, heads] = await Promise.all([redis.hgetall(auditKeys.anchors), redis.hgetall(auditKeys.heads)]);
  const walks = new Map<string, Walk>();
  const found = new Map<string, string>();
  const purges: PurgeSeen[] = [];
  let lastId: string | null = null;
  const walkOf = (chain: string): Walk => {
    let w = walks.get(chain);
    if (!w) {
      const anchor = parsePoint(anchors[chain]);
      w = { anchor, at: anchor, records: 0, first: null, lastId: null };
      walks.set(chain, w);
    }
    return w;
  };
  let count = 0;
  const result = (broken: VerifyResult['broken']): LogWalk => ({
    result: {
      ok: broken === null,
      records: count,
      broken,
      chains: [...walks].map(([chain, w]) => ({ chain, anchorSeq: w.anchor.seq, headSeq: w.at.seq, records: w.records })),
    },
    chains: walks,
    found,
    purges,
    lastId,
  });
  const fail = (id: string, chain: string | null, seq: number | null, reason: string) => result({ chain, seq, id, reason });
  let cursor = '-';
  for (;;) {
    const rows = await redis.xrange(auditKeys.log, cursor, '+', 'COUNT', 1000);
    for (const [id, fields] of rows) {
      let r: AuditRecord;
      try {
        r = parse(id, fields);
      } catch {
        return fail(id, null, null, 'record is not readable JSON');
      }
      if (typeof r.chain !== 'string') return fail(id, null, r.seq ?? null, 'record names no chain');
      const w = walkOf(r.chain);
      const { seq, hash: prev } = w.at;
      if (r.seq !== seq + 1) return fail(id, r.chain, r.seq, r.seq > seq + 1 ? `records ${seq + 1} to ${r.seq - 1} are missing` : `sequence ${r.seq} follows ${seq}`);
      if (r.prev !== prev) return fail(id, r.chain, r.seq, 'prev does not match the hash of the record before it');
      const { hash, id: _id, ...body } = r;
      if (recordHash(body) !== hash) return fail(id, r.chain, r.seq, 'content does not match its hash (the record was altered)');
      w.at = { seq: r.seq, hash };
      w.first ??= { seq: r.seq, hash, id };
      w.lastId = id;
      w.records++;
      count++;
      lastId = id;
      if (wanted.has(pointKey(r.chain, r.seq))) found.set(pointKey(r.chain, r.seq), hash);
      const d = r.details as { log?: string; before?: string; anchors?: Record<string, string> } | undefined;
      if (r.kind === 'purge' && d?.log === 'access' && typeof d.before === 'string' && d.anchors) purges.push({ id, time: r.time, before: d.before, anchors: d.anchors });
    }
    if (rows.length < 1000) break;
    cursor = `(${rows[rows.length - 1][0]}`;
  }
  for (const chain of new Set([...Object.keys(heads), ...walks.keys()])) {
    const w = walkOf(chain);
    const head = heads[chain] === undefined ? null : parsePoint(heads[chain]);
    if (head === null) return fail('head', chain, null, 'the chain has records but no head');
    if (head.seq !== w.at.seq || head.hash !== w.at.hash) {
      return fail('head', chain, head.seq, head.seq > w.at.seq ? `records ${w.at.seq + 1} to ${head.seq} are missing at the end` : 'the head does not match the last record');
    }
  }
  return result(null);
}
