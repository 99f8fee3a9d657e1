import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { CanonicalEvent } from '../events/schema.js';

/**
 * One kept reject. `source:seq` names the message (seq numbers each source's messages from 1
 * in arrival order); `text` is the message, or its start when it was too long to read; a
 * store refusal or a drop after decoding keeps the `event` instead, ready to be re-ingested.
 */
export interface CollectReject {
  source: string;
  /** The message's number within its source, when it got one (dropped messages are not numbered). */
  seq: number | null;
  /** Sender address, when known. */
  from: string | null;
  reason: string;
  text?: string;
  event?: CanonicalEvent;
}

/**
 * Appends rejects as NDJSON, each with the time it was written. `reopen` (SIGHUP) starts
 * writing to whatever file is at the path now, so logrotate can move the file away without
 * `copytruncate`.
 */
export class RejectFile {
  count = 0;
  private out: WriteStream;
  private failure: Error | null = null;

  constructor(
    readonly path: string,
    private readonly onError: (err: Error) => void = () => {},
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.out = this.openStream();
  }

  private openStream(): WriteStream {
    const out = createWriteStream(this.path, { flags: 'a' });
    out.on('error', (err) => {
      this.failure = err;
      this.onError(err);
    });
    return out;
  }

  /** Ends the file being written (what is buffered still reaches it) and opens the path afresh. */
  reopen(): void {
    const old = this.out;
    this.failure = null;
    mkdirSync(dirname(this.path), { recursive: true });
    this.out = this.openStream();
    old.end();
  }

  /** Resolves once every reject added so far has been handed to the kernel. */
  flushed(): Promise<void> {
    if (this.failure || this.out.writableLength === 0) return Promise.resolve();
    return new Promise<void>((done) => this.out.write('', () => done()));
  }

  add(r: CollectReject): void {
    this.count++;
    if (this.failure) return;
    this.out.write(`${JSON.stringify({ at: new Date().toISOString(), ...r })}\n`);
  }

  close(): Promise<void> {
    if (this.failure) return Promise.resolve();
    return new Promise<void>((done) => this.out.end(done));
  }
}
