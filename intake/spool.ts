import { closeSync, createReadStream, fdatasyncSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { CanonicalEvent } from '../events/schema.js';
import type { Transport } from './syslog-listener.js';

/**
 * The collector's spool: what it received, on local disk, until Redis has taken it, so that a
 * crash (kill -9, power cut, a bug) loses nothing that reached the collector. A restart replays
 * what was not yet committed; the index's merge makes a record stored twice harmless, so the
 * commit point may lag behind what Redis really has.
 *
 * Format (a directory):
 * - `spool-<first record number, 16 digits>.ndjson`: segments of records, one JSON object a
 *   line, each with its record number `n` (counting up across segments and restarts):
 *   `{"n":7,"m":{"text":"<134>…","from":"10.0.0.7","transport":"udp"}}` for a syslog message,
 *   `{"n":8,"e":{"source":"ipfix:10.0.0.9","from":"10.0.0.9","events":[…]}}` for IPFIX events.
 *   A line cut short by a crash is not JSON and is ignored; a new segment is begun at every
 *   start, so nothing is ever appended after such a line.
 * - `commit.json`: `{"version":1,"committed":N}`: every record up to N was stored (or settled:
 *   rejected, skipped, dropped to the rejects file). Written to a temporary file, fsynced and
 *   renamed over the old one.
 *
 * Durability: a record is written (write(2)) before the message is handled, so it is in the
 * kernel when the process dies; segments are fdatasynced every `syncMs` (default 1 s) and at
 * close, so a power cut loses at most that long. Segments wholly committed are deleted.
 *
 * Bounded: above `maxBytes` on disk, records are not spooled (counted as `unspooled`, the
 * collector logs it once per episode): a crash then could lose them, but the collector keeps
 * working in memory as without a spool.
 */

export type SpoolEntry =
  | { m: { text: string; from: string; transport: Transport } }
  | { e: { source: string; from: string; events: CanonicalEvent[] } };

export type SpoolRecord = SpoolEntry & { n: number };

export interface SpoolOptions {
  /** Largest size on disk; default 1 GiB. */
  maxBytes?: number;
  /** Segment size at which a new one is begun; default maxBytes / 8, at most 64 MiB. */
  segmentBytes?: number;
  syncMs?: number;
}

export interface SpoolState {
  /** Bytes of the segments on disk. */
  bytes: number;
  /** Records appended and not yet committed. */
  records: number;
  /** Records that were not spooled because the spool was full. */
  unspooled: number;
}

const COMMIT = 'commit.json';
const SEGMENT = /^spool-(\d{16})\.ndjson$/;
const segmentName = (first: number) => `spool-${String(first).padStart(16, '0')}.ndjson`;

interface Segment {
  first: number;
  name: string;
  bytes: number;
}

export class Spool {
  unspooled = 0;
  private readonly segments: Segment[];
  private committed: number;
  private last: number;
  private fd: number | null = null;
  private dirty = false;
  private readonly timer: NodeJS.Timeout;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;

  private constructor(
    readonly dir: string,
    o: SpoolOptions,
    state: { segments: Segment[]; committed: number; last: number },
  ) {
    this.maxBytes = o.maxBytes ?? 1024 ** 3;
    this.segmentBytes = o.segmentBytes ?? Math.min(Math.max(1, Math.floor(this.maxBytes / 8)), 64 * 1024 ** 2);
    this.segments = state.segments;
    this.committed = state.committed;
    this.last = state.last;
    this.timer = setInterval(() => this.sync(), o.syncMs ?? 1000);
    this.timer.unref();
  }

  /** Opens (or creates) the spool in `dir`; `replay()` then gives what the last run did not commit. */
  static open(dir: string, o: SpoolOptions = {}): Spool {
    mkdirSync(dir, { recursive: true });
    let committed = 0;
    try {
      const c = JSON.parse(readFileSync(join(dir, COMMIT), 'utf8')) as { version?: number; committed?: number };
      if (c.version !== 1 || !Number.isSafeInteger(c.committed) || c.committed! < 0) throw new Error('not a commit this version wrote');
      committed = c.committed!;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        // replaying from the start is safe (stored twice is harmless); skipping is not
        throw new Error(`spool ${join(dir, COMMIT)}: ${(err as Error).message}; move it away to replay the whole spool`);
      }
    }
    const segments = readdirSync(dir)
      .map((name) => ({ name, m: SEGMENT.exec(name) }))
      .filter((s) => s.m)
      .map(({ name, m }) => ({ name, first: Number(m![1]), bytes: statSync(join(dir, name)).size }))
      .sort((a, b) => a.first - b.first);
    const spool = new Spool(dir, o, { segments, committed, last: committed });
    return spool;
  }

  /**
   * The records after the commit point, in order; afterwards new records are numbered after the
   * highest seen. Call once, before the first append.
   */
  async *replay(): AsyncGenerator<SpoolRecord> {
    for (const seg of [...this.segments]) {
      const lines = createInterface({ input: createReadStream(join(this.dir, seg.name)), crlfDelay: Infinity });
      for await (const line of lines) {
        let r: SpoolRecord;
        try {
          r = JSON.parse(line);
        } catch {
          continue; // cut short by a crash mid-write
        }
        if (!Number.isSafeInteger(r?.n)) continue;
        if (r.n > this.last) this.last = r.n;
        if (r.n > this.committed) yield r;
      }
    }
  }

  /** Appends a record; its number, or null when the spool is full and it was not kept. */
  append(entry: SpoolEntry): number | null {
    const line = Buffer.from(`${JSON.stringify({ n: this.last + 1, ...entry })}\n`);
    if (this.bytes + line.length > this.maxBytes) {
      this.unspooled++;
      return null;
    }
    let seg = this.segments.at(-1);
    if (this.fd === null || !seg || seg.bytes >= this.segmentBytes) {
      this.closeSegment();
      seg = { first: this.last + 1, name: segmentName(this.last + 1), bytes: 0 };
      this.fd = openSync(join(this.dir, seg.name), 'a');
      this.segments.push(seg);
    }
    writeSync(this.fd, line);
    seg.bytes += line.length;
    this.dirty = true;
    return ++this.last;
  }

  /** The number of the last record appended (or replayed). */
  get lastRecord(): number {
    return this.last;
  }

  /** Every record up to `n` is stored: recorded, and segments wholly below it are deleted. */
  commit(n: number): void {
    if (n <= this.committed) return;
    this.sync();
    const tmp = join(this.dir, `${COMMIT}.tmp`);
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, `${JSON.stringify({ version: 1, committed: n })}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, COMMIT));
    this.committed = n;
    // a segment is done when the next one begins at or below the commit point; the one being
    // written to is kept while open, and deleted at close when everything is committed
    while (this.segments.length > 1 && this.segments[1].first <= n + 1) {
      unlinkSync(join(this.dir, this.segments.shift()!.name));
    }
  }

  state(): SpoolState {
    return { bytes: this.bytes, records: this.last - this.committed, unspooled: this.unspooled };
  }

  get bytes(): number {
    return this.segments.reduce((sum, s) => sum + s.bytes, 0);
  }

  /** Syncs and closes; with everything committed, the spool is left empty. */
  close(): void {
    clearInterval(this.timer);
    this.closeSegment();
    if (this.committed >= this.last) {
      for (const s of this.segments.splice(0)) unlinkSync(join(this.dir, s.name));
    }
  }

  private sync(): void {
    if (this.fd !== null && this.dirty) {
      fdatasyncSync(this.fd);
      this.dirty = false;
    }
  }

  private closeSegment(): void {
    if (this.fd === null) return;
    this.sync();
    closeSync(this.fd);
    this.fd = null;
  }
}
