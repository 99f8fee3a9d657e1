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

/** Appends rejects as NDJSON, each with the time it was written. */
export class RejectFile {
  count = 0;
  private readonly out: WriteStream;
  private failure: Error | null = null;

  constructor(
    readonly path: string,
    onError: (err: Error) => void = () => {},
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.out = createWriteStream(path, { flags: 'a' });
    this.out.on('error', (err) => {
      this.failure = err;
      onError(err);
    });
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
