import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, watch, type FSWatcher } from 'node:fs';
import { open, readdir, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { LineSplitter, MAX_LINE, type Line } from './pipeline.js';

/** Where a follower is in a file: its inode, the byte offset read up to (a line end), and the lines before it. */
export interface FollowPosition {
  /** As a decimal string: inode numbers can exceed 2^53. */
  inode: string;
  offset: number;
  line: number;
}

/** The position after a batch of lines, and the number of the batch's first line. */
export interface FollowBatchPosition extends FollowPosition {
  firstLine: number;
}

/**
 * Why the follower went back to the start of the file: a new file at the path (rotation, or the
 * way dhcpd and Kea LFC write a new lease file and rename it over the old), the file got
 * shorter (truncated), or its first bytes changed (rewritten in place).
 */
export type FollowReset = 'replaced' | 'truncated' | 'rewritten';

export interface FollowOptions {
  /** Where the position is kept (JSON), so a restart resumes where the last run stopped. */
  statePath: string;
  /**
   * Complete lines read since the last call. The position is recorded once this resolves, so a
   * caller writes (or flushes) the lines' events before resolving; if it throws, the same lines
   * come again on the next attempt.
   */
  onLines(lines: Line[], position: FollowBatchPosition): Promise<void> | void;
  /**
   * The file started over; awaited before its first lines. Parsers with state (CSV headers,
   * open blocks) must be ended and recreated here.
   */
  onReset?(why: FollowReset, position: FollowPosition): Promise<void> | void;
  /**
   * Told of a failed attempt (I/O error, or onLines threw); the follower retries at the next
   * change or poll. Without it, the first failure stops the follower and `done` rejects.
   */
  onError?(err: Error): void;
  /** Fallback poll interval for when file events are missed (network file systems); default 1000 ms. */
  pollMs?: number;
  /** Bytes read at a time, so at most this much of the file is in memory; default 1 MiB. */
  chunkBytes?: number;
  /** Over-long line cap in bytes (pipeline's OverlongLine; here `length` counts bytes); default 64 KiB. */
  maxLine?: number;
  /**
   * After a rotation, the old file is read on until it has not grown for this long, then the new
   * one is begun: a writer that has not yet reopened its log still writes into the old file.
   * Default 2000 ms.
   */
  quietMs?: number;
  /** Things the operator should know that are not errors (a rotated file not found); default: none. */
  log?(line: string): void;
}

export interface Follower {
  /** The position last recorded, null until the file has been opened. */
  readonly position: FollowPosition | null;
  /** Stops watching and waits for a batch in progress to be delivered and recorded. */
  stop(): Promise<void>;
  /** Settles when the follower stops; rejects when it stopped on an error. */
  readonly done: Promise<void>;
}

interface SavedState extends FollowPosition {
  version: 1;
  path: string;
  headLength: number;
  headHash: string;
}

// A fingerprint of the file's first bytes tells a file rewritten in place (same inode, size
// grown past the old position) from one that was only appended to.
const HEAD_BYTES = 4096;

/**
 * Follows a growing file across rotation and rewrites, delivering its complete lines in chunks
 * and recording the position after each acknowledged chunk (atomically: temp file + rename).
 * A restart resumes from the recorded position; a position is only recorded after `onLines`
 * resolved, so no line is lost, and at most the chunk in flight at a crash is seen twice.
 *
 * Rotation: the old file is read on until it has been quiet for `quietMs` (its writer may not
 * have reopened yet), then the new file is read from its start. A follower stopped before it
 * finished the old file finds it on restart by its inode among the rotated names (`f.log.1`,
 * `f.log-20260101`), or by its first bytes when it was compressed (`f.log.2.gz`), and finishes
 * it first.
 *
 * Limits: lines written to a rotated file after it was quiet for `quietMs` are not read, and a
 * multi-line record cut by a restart is read from where the position was.
 */
export function followFile(path: string, o: FollowOptions): Follower {
  const f = new FileFollower(path, o);
  f.start();
  return f;
}

class FileFollower implements Follower {
  position: FollowPosition | null = null;
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private rejectDone!: (err: Error) => void;
  private readonly absPath: string;
  private readonly chunk: number;
  private readonly maxLine: number;
  private readonly buf: Buffer;
  private fd: FileHandle | null = null;
  private saved: SavedState | null | undefined = undefined;
  private pendingReset: FollowReset | null = null;
  // The file's first bytes as read (up to HEAD_BYTES) and their hash, kept from the reads
  // themselves: re-reading them later could fingerprint a rewrite instead.
  private head: { bytes: Buffer; hash: string } = { bytes: Buffer.alloc(0), hash: '' };
  private lastSize = -1;
  // An over-long line being skipped: where it starts, how far it is known to have no line end, its head.
  private overlong: { from: number; scanned: number; text: string } | null = null;
  // Since when the old file of a rotation has stayed the same size.
  private rotated: { size: number; since: number } | null = null;
  private stopped = false;
  private running: Promise<void> | null = null;
  private again = false;
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly path: string,
    private readonly o: FollowOptions,
  ) {
    this.absPath = resolve(path);
    this.maxLine = o.maxLine ?? MAX_LINE;
    this.chunk = Math.max(o.chunkBytes ?? 1 << 20, this.maxLine + 1);
    this.buf = Buffer.allocUnsafe(this.chunk);
    this.done = new Promise((res, rej) => {
      this.resolveDone = res;
      this.rejectDone = rej;
    });
  }

  start(): void {
    // The directory is watched, not the file: a watch on the file follows its inode away on rename.
    try {
      const name = basename(this.path);
      this.watcher = watch(dirname(this.absPath), { persistent: true }, (_event, changed) => {
        if (!changed || changed.toString() === name) this.kick();
      });
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = null;
      });
    } catch {
      this.watcher = null; // polling alone still follows the file
    }
    this.timer = setInterval(() => this.kick(), Math.max(10, this.o.pollMs ?? 1000));
    this.kick();
  }

  async stop(): Promise<void> {
    this.halt();
    await this.running;
    await this.closeFd();
    this.resolveDone();
  }

  private halt(): void {
    this.stopped = true;
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.tick();
        } catch (err) {
          if (this.o.onError && this.saved !== undefined) {
            this.o.onError(err as Error);
          } else {
            // No one to tell, or the state file is unreadable: resuming blind could duplicate or skip.
            this.halt();
            await this.closeFd().catch(() => {});
            this.rejectDone(err as Error);
            return;
          }
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = null;
    });
  }

  private async tick(): Promise<void> {
    if (this.saved === undefined) this.saved = await loadState(this.o.statePath);
    for (;;) {
      if (this.stopped) return;
      if (!this.fd && !(await this.openFile())) return;
      const fd = this.fd!;
      const pos = this.position!;
      const onDisk = await stat(this.path, { bigint: true }).catch(missing);
      if (onDisk && String(onDisk.ino) !== pos.inode) {
        if (!(await this.oldFileQuiet())) {
          await this.readAvailable(false);
          return;
        }
        await this.readAvailable(true);
        if (this.stopped) return;
        await this.closeFd();
        this.rotated = null;
        this.pendingReset = 'replaced';
        continue;
      }
      this.rotated = null;
      const size = Number((await fd.stat({ bigint: true })).size);
      if (size < pos.offset) await this.restart('truncated');
      else if (size !== this.lastSize && this.head.bytes.length > 0 && (await this.headOf(this.head.bytes.length)).hash !== this.head.hash) await this.restart('rewritten');
      this.lastSize = size;
      await this.readAvailable(false);
      return;
    }
  }

  /** Whether the file being read, no longer at the path, has stopped growing for `quietMs`. */
  private async oldFileQuiet(): Promise<boolean> {
    const size = Number((await this.fd!.stat({ bigint: true })).size);
    const now = Date.now();
    if (!this.rotated || this.rotated.size !== size) this.rotated = { size, since: now };
    return now - this.rotated.since >= (this.o.quietMs ?? 2000);
  }

  /**
   * Started again after the file at the path was rotated: finishes the old one, found among the
   * rotated names, from the recorded position. False when it is nowhere to be read.
   */
  private async finishRotated(saved: SavedState): Promise<boolean> {
    const found = await findRotated(this.absPath, saved, `${this.o.statePath}.rotated`);
    if (!found) {
      this.o.log?.(
        `${this.path}: the file read up to line ${saved.line} before the stop is no longer there and not among its rotated names ` +
          `(${basename(this.path)}.N, ${basename(this.path)}-DATE, .gz): its lines after ${saved.line} are not read`,
      );
      return false;
    }
    this.o.log?.(`${this.path}: finishing ${found.name} (rotated while stopped) from line ${saved.line + 1}`);
    this.fd = found.fd;
    this.position = { inode: saved.inode, offset: saved.offset, line: saved.line };
    this.head = await this.headOf(saved.headLength);
    this.overlong = null;
    try {
      await this.readAvailable(true);
    } catch (err) {
      // the retry goes on from what was delivered, not from the position before the stop
      this.saved = { ...saved, offset: this.position.offset, line: this.position.line };
      throw err;
    } finally {
      await this.closeFd();
      await found.cleanup();
    }
    return !this.stopped;
  }

  /** Opens the file at the path; false when there is none yet. */
  private async openFile(): Promise<boolean> {
    let fd: FileHandle;
    try {
      fd = await open(this.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    let st = await fd.stat({ bigint: true });
    let saved = this.saved;
    if (saved && !(await continues(fd, st, saved))) {
      // The file at the path is not the one the position is in: that one was rotated (or
      // copied and truncated) while the follower was stopped; its rest comes first.
      await fd.close();
      const finished = await this.finishRotated(saved);
      if (this.stopped) return false;
      if (finished) {
        this.pendingReset = saved.inode === String(st.ino) ? 'truncated' : 'replaced';
        this.saved = saved = null;
      }
      fd = await open(this.path, 'r');
      st = await fd.stat({ bigint: true });
    }
    this.fd = fd;
    this.lastSize = -1;
    this.overlong = null;
    const inode = String(st.ino);
    const pending = this.pendingReset;
    this.saved = null;
    this.pendingReset = null;
    let why = pending;
    if (!why && saved) {
      if (saved.inode !== inode) why = 'replaced';
      else if (saved.offset > Number(st.size)) why = 'truncated';
      else {
        const head = saved.headLength > 0 ? await this.headOf(saved.headLength) : { bytes: Buffer.alloc(0), hash: '' };
        if (head.hash !== saved.headHash) why = 'rewritten';
        else {
          this.position = { inode, offset: saved.offset, line: saved.line };
          this.head = head;
          return true;
        }
      }
    }
    this.position = { inode, offset: 0, line: 0 };
    this.head = { bytes: Buffer.alloc(0), hash: '' };
    if (why) {
      try {
        await this.o.onReset?.(why, { ...this.position });
      } catch (err) {
        // Undone, so the retry tells the caller again before any line of the new file.
        this.saved = saved;
        this.pendingReset = pending;
        this.position = null;
        await this.closeFd();
        throw err;
      }
    }
    await this.record();
    return true;
  }

  private async restart(why: FollowReset): Promise<void> {
    const next = { inode: this.position!.inode, offset: 0, line: 0 };
    // Told first: if it throws, the old position stands and the next attempt sees the reset again.
    await this.o.onReset?.(why, { ...next });
    this.position = next;
    this.head = { bytes: Buffer.alloc(0), hash: '' };
    this.overlong = null;
    await this.record();
  }

  /**
   * Delivers every complete line from the position to the end of the file, a chunk at a time.
   * `final`: the file will not grow (it was replaced), so a last line without a line end counts.
   */
  private async readAvailable(final: boolean): Promise<void> {
    const fd = this.fd!;
    const buf = this.buf;
    for (;;) {
      if (this.stopped) return;
      const pos = this.position!;
      if (this.overlong) {
        if (!(await this.skipOverlong(final))) return;
        continue;
      }
      const { bytesRead } = await fd.read(buf, 0, this.chunk, pos.offset);
      if (bytesRead === 0) return;
      // Checked after the read: if the head is still the one read before, so is what was just read.
      if (this.head.bytes.length > 0 && (await this.headOf(this.head.bytes.length)).hash !== this.head.hash) {
        await this.restart('rewritten');
        continue;
      }
      let start = 0;
      if (pos.offset === 0 && bytesRead >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3;
      const lastNl = buf.lastIndexOf(10, bytesRead - 1);
      if (lastNl < start) {
        if (bytesRead - start > this.maxLine) {
          this.overlong = { from: pos.offset + start, scanned: pos.offset + bytesRead, text: buf.toString('utf8', start, start + this.maxLine) };
          continue;
        }
        if (final && bytesRead < this.chunk && bytesRead > start) {
          await this.deliver(new LineSplitter(this.maxLine, false).push(`${buf.toString('utf8', start, bytesRead)}\n`), pos.offset + bytesRead, buf);
        }
        return;
      }
      const lines = new LineSplitter(this.maxLine, false).push(buf.toString('utf8', start, lastNl + 1));
      await this.deliver(lines, pos.offset + lastNl + 1, buf);
    }
  }

  // Reads on past an over-long line's start without keeping it; true once it is delivered.
  private async skipOverlong(final: boolean): Promise<boolean> {
    const o = this.overlong!;
    for (;;) {
      const { bytesRead } = await this.fd!.read(this.buf, 0, this.chunk, o.scanned);
      const nl = this.buf.subarray(0, bytesRead).indexOf(10);
      if (nl >= 0) {
        const end = o.scanned + nl;
        await this.deliver([{ tooLong: true, text: o.text, length: end - o.from, limit: this.maxLine }], end + 1);
        this.overlong = null;
        return true;
      }
      o.scanned += bytesRead;
      if (bytesRead < this.chunk) {
        if (!final) return false;
        await this.deliver([{ tooLong: true, text: o.text, length: o.scanned - o.from, limit: this.maxLine }], o.scanned);
        this.overlong = null;
        return true;
      }
    }
  }

  /** `raw`: the bytes read from the old position, to extend the head fingerprint with. */
  private async deliver(lines: Line[], offset: number, raw?: Buffer): Promise<void> {
    const pos = this.position!;
    const next: FollowPosition = { inode: pos.inode, offset, line: pos.line + lines.length };
    if (lines.length > 0) await this.o.onLines(lines, { ...next, firstLine: pos.line + 1 });
    this.position = next;
    const have = this.head.bytes.length;
    if (raw && have < HEAD_BYTES && have === pos.offset && offset > have) {
      const bytes = Buffer.concat([this.head.bytes, raw.subarray(0, Math.min(offset, HEAD_BYTES) - have)]);
      this.head = { bytes, hash: hashOf(bytes) };
    }
    await this.record();
  }

  private async headOf(length: number): Promise<{ bytes: Buffer; hash: string }> {
    const b = Buffer.alloc(length);
    const { bytesRead } = await this.fd!.read(b, 0, length, 0);
    const bytes = b.subarray(0, bytesRead);
    return { bytes, hash: hashOf(bytes) };
  }

  private async record(): Promise<void> {
    const state: SavedState = { version: 1, path: this.absPath, ...this.position!, headLength: this.head.bytes.length, headHash: this.head.hash };
    const tmp = `${this.o.statePath}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(`${JSON.stringify(state)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.o.statePath);
  }

  private async closeFd(): Promise<void> {
    const fd = this.fd;
    this.fd = null;
    await fd?.close();
  }
}

const COMPRESSED = /\.(gz|bz2|xz|zst|lz4|Z)$/;

interface Rotated {
  name: string;
  fd: FileHandle;
  cleanup(): Promise<void>;
}

/**
 * The file a saved position was in, among the rotated names beside `path` (newest first): an
 * uncompressed one by its inode, a gzip one (whose inode is new) by its first bytes. Its head
 * must be the one recorded, so a reused inode is not taken for it. A gzip file is unpacked to
 * `scratch` to be read like any other; other compressions are not read.
 */
async function findRotated(path: string, saved: SavedState, scratch: string): Promise<Rotated | null> {
  const dir = dirname(path);
  const base = basename(path);
  const names = (await readdir(dir)).filter((n) => n.startsWith(base) && /^[.-]./.test(n.slice(base.length)));
  const found = await Promise.all(names.map(async (name) => ({ name, st: await stat(join(dir, name), { bigint: true }).catch(() => null) })));
  const candidates = found.filter((c) => c.st?.isFile()).sort((a, b) => Number(b.st!.mtimeNs - a.st!.mtimeNs));
  // by inode first: a plain rename keeps it
  for (const { name, st } of candidates) {
    if (COMPRESSED.test(name) || String(st!.ino) !== saved.inode) continue;
    const fd = await open(join(dir, name), 'r');
    if ((await headHash(fd, saved.headLength)) === saved.headHash) return { name, fd, cleanup: async () => {} };
    await fd.close();
  }
  // then by the first bytes, long enough to hold the position: a copy (copytruncate) or a gzip
  if (saved.headLength === 0) return null;
  for (const { name, st } of candidates) {
    const file = join(dir, name);
    if (!COMPRESSED.test(name)) {
      if (Number(st!.size) < saved.offset) continue;
      const fd = await open(file, 'r');
      if ((await headHash(fd, saved.headLength)) === saved.headHash) return { name, fd, cleanup: async () => {} };
      await fd.close();
    } else if (name.endsWith('.gz')) {
      if ((await gzipHead(file, saved.headLength).catch(() => null)) !== saved.headHash) continue;
      await pipeline(createReadStream(file), createGunzip(), createWriteStream(scratch));
      const fd = await open(scratch, 'r');
      if (Number((await fd.stat()).size) >= saved.offset) return { name, fd, cleanup: () => unlink(scratch).catch(() => {}) };
      await fd.close();
      await unlink(scratch).catch(() => {});
    }
  }
  return null;
}

/** Whether the open file is the one a saved position is in, grown or not. */
async function continues(fd: FileHandle, st: { ino: bigint; size: bigint }, saved: SavedState): Promise<boolean> {
  return String(st.ino) === saved.inode && Number(st.size) >= saved.offset && (await headHash(fd, saved.headLength)) === saved.headHash;
}

async function headHash(fd: FileHandle, length: number): Promise<string> {
  const b = Buffer.alloc(length);
  const { bytesRead } = await fd.read(b, 0, length, 0);
  return hashOf(b.subarray(0, bytesRead));
}

/** The hash of a gzip file's first `length` unpacked bytes, unpacking no more than needed. */
async function gzipHead(file: string, length: number): Promise<string> {
  const parts: Buffer[] = [];
  let have = 0;
  const unpacked = createReadStream(file).pipe(createGunzip());
  try {
    for await (const chunk of unpacked) {
      parts.push(chunk as Buffer);
      have += (chunk as Buffer).length;
      if (have >= length) break;
    }
  } finally {
    unpacked.destroy();
  }
  return hashOf(Buffer.concat(parts).subarray(0, length));
}

function hashOf(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function missing(err: NodeJS.ErrnoException): null {
  if (err.code === 'ENOENT') return null;
  throw err;
}

async function loadState(statePath: string): Promise<SavedState | null> {
  let text: string;
  try {
    text = await readFile(statePath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let s: Partial<SavedState>;
  try {
    s = JSON.parse(text);
  } catch (err) {
    throw new Error(`follow state ${statePath} is not JSON (${(err as Error).message}); delete it to read the file from its start`);
  }
  if (
    s?.version !== 1 || typeof s.inode !== 'string' || !Number.isSafeInteger(s.offset) || s.offset! < 0 || !Number.isSafeInteger(s.line) ||
    s.line! < 0 || !Number.isSafeInteger(s.headLength) || typeof s.headHash !== 'string'
  ) {
    throw new Error(`follow state ${statePath} is not a position this version wrote; delete it to read the file from its start`);
  }
  return s as SavedState;
}
