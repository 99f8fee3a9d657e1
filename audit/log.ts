import type { Cluster, Redis, Result } from 'ioredis';
import { metrics } from '../core/metrics.js';
import { canonicalJson, GENESIS, sha256 } from './canonical.js';
import { recordBytes } from './record-bytes.js';

/** What one access-log record says. The chain fields are added by the log. */
export interface AuditEntry {
  /**
   * lookup (single or bulk), denied (a refused request), ingest (events stored), audit-read (an
   * auditor read this log), or an operation on data (purge, hold, natconfig: a NAT configuration
   * version entered, or a forward / reverse through one).
   */
  kind: 'lookup' | 'bulk' | 'denied' | 'ingest' | 'audit-read' | 'purge' | 'hold' | 'token' | 'natconfig';
  time: string;
  user: string | null;
  tokenId: string | null;
  client: string | null;
  case?: string | null;
  legalBasis?: string | null;
  purpose?: string | null;
  route?: string;
  /** The question as asked and as the service understood it. */
  query?: Record<string, unknown>;
  normalised?: Record<string, unknown>;
  status?: string;
  reason?: string;
  /** Refused requests this record stands for (refusals of one source are recorded once a minute). */
  count?: number;
  /** Subscriber ids the answer disclosed (empty for a refused or empty answer). */
  disclosed: string[];
  details?: Record<string, unknown>;
}

export interface AuditRecord extends AuditEntry {
  /** The chain the record belongs to: one per service instance (see AccessLog). */
  chain: string;
  seq: number;
  prev: string;
  hash: string;
  id?: string;
}

export const auditKeys = {
  log: '{audit}:log',
  /** Hash: chain -> "seq hash" of its newest record. */
  heads: '{audit}:heads',
  /** Hash: chain -> "seq hash" of its newest purged record, where verification of what is kept starts. */
  anchors: '{audit}:anchors',
  index: '{audit}:by:',
};

/** A chain head or anchor as stored: "seq hash"; an unknown chain starts at 0 and the genesis hash. */
export interface ChainPoint {
  seq: number;
  hash: string;
}
export const formatPoint = (p: ChainPoint) => `${p.seq} ${p.hash}`;
export function parsePoint(text: string | null | undefined): ChainPoint {
  if (!text) return { seq: 0, hash: GENESIS };
  const [seq, hash] = text.split(' ');
  return { seq: Number(seq), hash };
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    auditAppend(log: string, heads: string, ...argv: Array<string | number>): Result<string[], Context>;
  }
}

/** The hash of a record: SHA-256 over the canonical JSON of everything but the hash itself. */
export function recordHash(r: Omit<AuditRecord, 'hash' | 'id'>): string {
  return sha256(canonicalJson(r));
}

/** Appends that find the head moved are chained again; this many tries before giving up. */
const ATTEMPTS = 64;

interface Pending {
  entry: AuditEntry;
  done: (r: AuditRecord) => void;
  fail: (e: Error) => void;
}

/**
 * The append-only, hash-chained access log. All records go to one stream, in the order Redis
 * took them, but each instance chains its own records (`chain`): instances that shared one head
 * would race for it on every look-up. Records appended in the same tick go to Redis as one
 * batch; the chain is computed here (Redis scripts have no SHA-256) and the script stores the
 * batch only if the chain's head is still the one it was chained onto, so two processes that
 * were given the same chain name still keep it consistent. An append resolves only once Redis
 * holds the record.
 */
export class AccessLog {
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private head: ChainPoint | null = null;

  constructor(
    private readonly redis: Redis | Cluster,
    /** This instance's chain (Config.instance: WHOHAD_INSTANCE, or the host name). */
    readonly chain: string,
  ) {}

  append(entry: AuditEntry): Promise<AuditRecord> {
    return new Promise((done, fail) => {
      this.pending.push({ entry, done, fail });
      if (!this.flushing) this.flushing = Promise.resolve().then(() => this.flush());
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        const records = await this.store(batch.map((p) => p.entry));
        batch.forEach((p, i) => p.done(records[i]));
        metrics.accessLogWrites.inc(batch.length);
      } catch (err) {
        this.head = null;
        metrics.accessLogFailures.inc(batch.length);
        for (const p of batch) p.fail(err as Error);
      }
    }
    this.flushing = null;
  }

  private async readHead(): Promise<ChainPoint> {
    return parsePoint(await this.redis.hget(auditKeys.heads, this.chain));
  }

  private async store(entries: AuditEntry[]): Promise<AuditRecord[]> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      // instances that keep meeting each other on the head step aside for a random moment
      if (attempt >= 2) await new Promise((ok) => setTimeout(ok, Math.random() * Math.min(20, attempt * 2)));
      const head = this.head ?? (await this.readHead());
      const records: AuditRecord[] = [];
      let prev = head.hash;
      let seq = head.seq;
      const argv: Array<string | number> = [this.chain, head.seq === 0 ? '' : formatPoint(head), auditKeys.index];
      for (const e of entries) {
        seq++;
        // copied, then extended: a spread of records of many shapes takes V8's slow path (~1.5 µs each)
        const body = Object.assign({}, e) as AuditEntry & { chain: string; seq: number; prev: string };
        body.chain = this.chain;
        body.seq = seq;
        body.prev = prev;
        const { hash, json } = recordBytes(body);
        const record = body as AuditRecord;
        record.hash = hash;
        records.push(record);
        argv.push(formatPoint({ seq, hash }), e.user ?? '', e.case ?? '', e.disclosed.length, ...e.disclosed, json);
        prev = hash;
      }
      const reply = await this.redis.auditAppend(auditKeys.log, auditKeys.heads, ...argv);
      if (reply[0] === 'ok') {
        this.head = { seq, hash: prev };
        return records;
      }
      // another process writing the same chain appended meanwhile: chain onto its head and try again
      this.head = parsePoint(reply[1]);
    }
    throw new Error(`access log: could not append after ${ATTEMPTS} attempts (heavy contention between processes sharing the chain name; give each its own WHOHAD_INSTANCE)`);
  }
}
