import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip, type Gzip } from 'node:zlib';
import type { BulkFormat } from './run.js';

/** A result being written: text in, gzip on disk; `bytes` is what the disk holds so far. */
export class ResultWriter {
  private written = 0;
  private readonly gzip: Gzip;
  private readonly file: WriteStream;
  /** Settles when the file is written to its end, or with the first error of either stream. */
  private readonly flowing: Promise<void>;

  constructor(
    private readonly part: string,
    private readonly final: string,
  ) {
    this.gzip = createGzip();
    this.file = createWriteStream(part, { mode: 0o600 });
    this.gzip.on('data', (b: Buffer) => (this.written += b.length));
    this.flowing = pipeline(this.gzip, this.file);
    // a failure is reported by write or commit; this keeps it from counting as unhandled meanwhile
    this.flowing.catch(() => undefined);
  }

  get bytes(): number {
    return this.written;
  }

  async write(text: string): Promise<void> {
    if (this.gzip.write(text)) return;
    // a full disk or a broken file ends `flowing` with the error instead of a drain
    await Promise.race([new Promise<void>((ok) => this.gzip.once('drain', ok)), this.flowing]);
    if (this.gzip.destroyed) await this.flowing;
  }

  /** Ends the file and gives it its final name; only then can it be downloaded. */
  async commit(): Promise<number> {
    this.gzip.end();
    await this.flowing;
    await rename(this.part, this.final);
    return this.written;
  }

  async discard(): Promise<void> {
    this.gzip.destroy();
    await this.flowing.catch(() => undefined);
    await rm(this.part, { force: true });
  }
}

/**
 * Background-job results as gzip files under the data directory (`<dataDir>/bulk`), one per
 * job, mode 0600. On disk rather than in Redis, so that a big result cannot take the memory
 * the time index and the access log need; compressed, since answers repeat themselves (a CSV
 * answer shrinks about tenfold).
 */
export class ResultFiles {
  constructor(readonly dir: string) {}

  private path(id: string, format: BulkFormat) {
    // ids are 16 URL-safe characters (checked by the route), so no path can be made of one
    return join(this.dir, `${id}.${format}.gz`);
  }

  async writer(id: string, format: BulkFormat): Promise<ResultWriter> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const final = this.path(id, format);
    return new ResultWriter(`${final}.part`, final);
  }

  /** The result as text, or null when this instance's data directory does not hold it. */
  async reader(id: string, format: BulkFormat): Promise<Readable | null> {
    const path = this.path(id, format);
    try {
      await stat(path);
    } catch {
      return null;
    }
    const gunzip = createGunzip();
    const file = createReadStream(path);
    file.on('error', (err) => gunzip.destroy(err));
    return file.pipe(gunzip);
  }

  async remove(id: string, format: BulkFormat): Promise<void> {
    await rm(this.path(id, format), { force: true });
  }

  /** Removes results (and parts of results whose writer died) last written more than `ageMs` ago. */
  async sweep(ageMs: number, now = Date.now()): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      if (!/^[\w-]{16}\.(csv|ndjson)\.gz(\.part)?$/.test(name)) continue;
      const path = join(this.dir, name);
      const s = await stat(path).catch(() => null);
      if (s && now - s.mtimeMs > ageMs) {
        await rm(path, { force: true });
        removed++;
      }
    }
    return removed;
  }
}
