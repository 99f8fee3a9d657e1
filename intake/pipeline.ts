import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { CanonicalEvent } from '../events/schema.js';
import type { SourceOptions } from '../schemas/source-config.js';
import type { LineParser, ParseContext, ParseSink, TextFormat } from '../parse/format.js';
import { AUTO_SNIFF_LINES, isAutoParser } from '../parse/auto.js';
import type { ZoneUse } from '../parse/zone-clock.js';

/** Longest line handed to a parser, in characters (UTF-16 units; 64 KiB for ASCII logs). */
export const MAX_LINE = 64 * 1024;

/**
 * A line longer than the cap ({@link MAX_LINE} unless set). Only its start is kept (`text`), so
 * a file without line ends cannot exhaust memory; `length` is the real length (characters from
 * linesOf, bytes from followFile). The pipeline rejects it unread: a truncated record could
 * parse into a wrong attribution.
 */
export interface OverlongLine {
  tooLong: true;
  text: string;
  length: number;
  /** The cap it went over. */
  limit: number;
}

/** A line as read: its text without the line end, or an over-long line's head. */
export type Line = string | OverlongLine;

export function isOverlong(l: Line): l is OverlongLine {
  return typeof l !== 'string';
}

export function overlongReason(l: OverlongLine): string {
  return `line is ${l.length} long, over the limit of ${l.limit}: rejected unread (only its start is kept in the reject)`;
}

/**
 * Splits decoded text into lines: strips a UTF-8 BOM at the start and the CR of CRLF, and caps
 * each line at `max` characters. Feed it chunks with `push`, which returns the complete lines;
 * `end` returns the last line when the input does not end with a line end.
 */
export class LineSplitter {
  private carry = '';
  // Characters of the current line beyond `max` that were dropped; > 0 marks it over-long.
  private dropped = 0;
  private lastWasCr = false;
  private started: boolean;

  /** `bom`: whether the text starts a file (so a leading BOM is dropped). */
  constructor(private readonly max = MAX_LINE, bom = true) {
    this.started = !bom;
  }

  push(s: string): Line[] {
    const out: Line[] = [];
    if (!this.started && s.length > 0) {
      this.started = true;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    let start = 0;
    const max = this.max;
    for (;;) {
      const nl = s.indexOf('\n', start);
      if (nl < 0) break;
      let end = nl;
      if (end > start && s.charCodeAt(end - 1) === 13) end--;
      if (this.carry === '' && this.dropped === 0 && !this.lastWasCr) {
        // The common case: the whole line lies in this chunk.
        if (end - start <= max) out.push(s.slice(start, end));
        else out.push({ tooLong: true, text: s.slice(start, start + max), length: end - start, limit: max });
      } else {
        if (end === start && this.lastWasCr) {
          // The CR of a CRLF ended the previous chunk.
          if (this.dropped > 0) this.dropped--;
          else this.carry = this.carry.slice(0, -1);
        }
        this.append(s, start, end);
        out.push(this.take());
      }
      this.lastWasCr = false;
      start = nl + 1;
    }
    if (start < s.length) {
      this.append(s, start, s.length);
      this.lastWasCr = s.charCodeAt(s.length - 1) === 13;
    }
    return out;
  }

  end(): Line | null {
    if (this.carry === '' && this.dropped === 0) return null;
    return this.take();
  }

  private append(s: string, from: number, to: number): void {
    const room = this.max - this.carry.length;
    if (this.dropped > 0 || to - from > room) {
      if (room > 0) this.carry += s.slice(from, from + room);
      this.dropped += to - from - Math.max(room, 0);
    } else {
      this.carry += s.slice(from, to);
    }
  }

  private take(): Line {
    const text = this.carry;
    const dropped = this.dropped;
    this.carry = '';
    this.dropped = 0;
    return dropped > 0 ? { tooLong: true, text, length: text.length + dropped, limit: this.max } : text;
  }
}

export interface LinesOfOptions {
  /** Cap on line length; default {@link MAX_LINE}. */
  maxLine?: number;
  /** Read size; default 1 MiB, so each yielded chunk holds thousands of lines. */
  chunkBytes?: number;
}

/**
 * The lines of a file (or of stdin for `-`), yielded as arrays, one per read chunk: reading in
 * chunks keeps the per-line cost to a slice, with no promise per line. Handles CRLF, a UTF-8
 * BOM and over-long lines ({@link OverlongLine}). The stream is only read as fast as the
 * consumer pulls, so a slow consumer holds memory flat.
 */
export async function* linesOf(path: string, o: LinesOfOptions = {}): AsyncGenerator<Line[]> {
  const stream = path === '-' ? process.stdin : createReadStream(path, { highWaterMark: o.chunkBytes ?? 1 << 20 });
  const decoder = new StringDecoder('utf8');
  const splitter = new LineSplitter(o.maxLine ?? MAX_LINE);
  try {
    for await (const chunk of stream) {
      const lines = splitter.push(typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer));
      if (lines.length > 0) yield lines;
    }
    const tail = splitter.push(decoder.end());
    const last = splitter.end();
    if (last !== null) tail.push(last);
    if (tail.length > 0) yield tail;
  } finally {
    if (path !== '-') (stream as ReturnType<typeof createReadStream>).destroy();
  }
}

export interface ParseCounts {
  lines: number;
  events: number;
  rejected: number;
  skipped: number;
}

export interface Reject {
  file: string;
  line: number;
  reason: string;
  /** The rejected line's text, when it is still at hand (multi-line records may name an earlier line). */
  text: string;
}

export interface FeederOptions {
  format: TextFormat;
  options: SourceOptions;
  context: ParseContext;
  /** Names the input in rejects. */
  file: string;
  /** Events per `onBatch` call (a final flush may send fewer); default 2000. */
  batchSize?: number;
  /**
   * Read the next batch while the last one is being stored: `onBatch` is called for batch k+1
   * before batch k's promise has settled (never more than one ahead, so memory stays flat), and
   * `flush()` and `end()` still resolve only once every batch handed on has settled. The
   * handler must allow two calls at once; the index's merge does not depend on the order in
   * which two batches reach it. A failed batch fails the next `push`, `flush` or `end`.
   * Default false: each batch is awaited before another line is read.
   */
  overlap?: boolean;
  /**
   * Awaited before another line is read (with `overlap`, before the batch after it is handed on): a slow writer slows the reader, not memory. `texts`
   * holds each event's line, so an event the store refuses can be kept with it.
   */
  onBatch: (events: CanonicalEvent[], lines: number[], texts: string[]) => Promise<void>;
  onReject: (r: Reject) => void;
  /** Each skipped line with its reason (a skip is counted either way). */
  onSkip?: (s: Reject) => void;
  /** Called about every `progressEvery` lines (at chunk ends) and once at the end. */
  onProgress?: (p: ParseCounts) => void;
  progressEvery?: number;
  /** Number of the first line; default 1 (a follower resuming mid-file passes its own). */
  firstLine?: number;
}

export interface ParseStreamOptions extends FeederOptions {
  /** Lines one by one, or (faster) arrays of lines as {@link linesOf} yields them. */
  lines: AsyncIterable<Line | readonly Line[]> | Iterable<Line | readonly Line[]>;
}

export interface ParseResult extends ParseCounts {
  /** The format that read the input: for `auto`, the one it chose (or `auto` if none). */
  format: string;
  /** The zone its times were read in (describeZoneUse in parse/zone-clock.ts words it); absent for formats whose times never need one. */
  zone?: ZoneUse;
}

// Rejects from multi-line formats can name a line already passed (the start of a block or
// record); this many recent lines are kept so their text can go in the reject.
const RECENT = 256;

/**
 * One input read through one parser, pushed to in chunks: the loop shared by
 * {@link parseStream} and file following. Lines go to the parser synchronously; the only
 * awaits are for full batches, so the cost per line is the parser's own.
 */
export class LineFeeder {
  readonly counts: ParseCounts = { lines: 0, events: 0, rejected: 0, skipped: 0 };
  private readonly parser: LineParser;
  private readonly sink: ParseSink;
  private readonly batchSize: number;
  private readonly progressEvery: number;
  /** The first non-empty lines, as `auto` would look at them: what a wrong-format hint is judged by. */
  readonly sample: string[] = [];
  private events: CanonicalEvent[] = [];
  private eventLines: number[] = [];
  private eventTexts: string[] = [];
  private readonly recentText: string[] = new Array(RECENT).fill('');
  private readonly recentNo: number[] = new Array(RECENT).fill(-1);
  private lineNo: number;
  private nextProgress: number;
  private ended = false;
  /** The batch being stored while the next is read (with `overlap`). */
  private storing: Promise<void> | null = null;

  constructor(private readonly o: FeederOptions) {
    this.batchSize = Math.max(1, o.batchSize ?? 2000);
    this.progressEvery = o.progressEvery ?? 50_000;
    this.nextProgress = this.progressEvery;
    this.lineNo = (o.firstLine ?? 1) - 1;
    const counts = this.counts;
    this.sink = {
      event: (e, line) => {
        this.events.push(e);
        this.eventLines.push(line);
        this.eventTexts.push(this.textOf(line));
        counts.events++;
      },
      reject: (line, reason) => {
        counts.rejected++;
        o.onReject({ file: o.file, line, reason, text: this.textOf(line) });
      },
      skip: (line, reason) => {
        counts.skipped++;
        o.onSkip?.({ file: o.file, line, reason, text: this.textOf(line) });
      },
    };
    this.parser = o.format.create(o.options, o.context);
  }

  /** The text of a recent line (multi-line records may name an earlier one), or '' when it is gone. */
  private textOf(line: number): string {
    const slot = line & (RECENT - 1);
    return this.recentNo[slot] === line ? this.recentText[slot] : '';
  }

  /** The format reading the lines: `auto`'s choice once made, else the format's own name. */
  get chosenFormat(): string {
    const chosen = isAutoParser(this.parser) ? this.parser.chosen : undefined;
    return chosen ? chosen.name : this.o.format.name;
  }

  /** The number the next line will get. */
  get nextLine(): number {
    return this.lineNo + 1;
  }

  /** Reads the lines; resolves once every full batch they filled has been taken by `onBatch`. */
  async push(lines: readonly Line[] | Line): Promise<void> {
    if (typeof lines === 'string' || !Array.isArray(lines)) {
      this.feed(lines as Line);
      if (this.events.length >= this.batchSize) await this.flush(false);
    } else {
      for (let i = 0; i < lines.length; i++) {
        this.feed(lines[i]);
        if (this.events.length >= this.batchSize) await this.flush(false);
      }
    }
    if (this.o.onProgress && this.counts.lines >= this.nextProgress) {
      this.nextProgress = this.counts.lines + this.progressEvery;
      this.o.onProgress({ ...this.counts });
    }
  }

  /**
   * Hands on the events read so far even if fewer than a batch; a follower calls it before it
   * records its position, so a recorded position never covers events not yet written.
   */
  flush(all = true): Promise<void> {
    return this.flushEvents(all);
  }

  /** Ends the input: the parser flushes what it holds (an open block is rejected) and the rest is handed on. */
  async end(): Promise<ParseResult> {
    if (!this.ended) {
      this.ended = true;
      try {
        this.parser.end(this.sink);
      } catch (err) {
        this.sink.reject(this.lineNo, `parser failed at the end of the input: ${(err as Error).message}`);
      }
      await this.flushEvents(true);
      this.o.onProgress?.({ ...this.counts });
    }
    const zone = this.parser.zoneUse?.();
    return { ...this.counts, format: this.chosenFormat, ...(zone ? { zone } : {}) };
  }

  private feed(l: Line): void {
    const n = ++this.lineNo;
    this.counts.lines++;
    const slot = n & (RECENT - 1);
    this.recentNo[slot] = n;
    if (typeof l !== 'string') {
      this.recentText[slot] = l.text;
      this.counts.rejected++;
      this.o.onReject({ file: this.o.file, line: n, reason: overlongReason(l), text: l.text });
      return;
    }
    this.recentText[slot] = l;
    if (this.sample.length < AUTO_SNIFF_LINES && l.trim() !== '') this.sample.push(l);
    try {
      this.parser.line(l, n, this.sink);
    } catch (err) {
      this.sink.reject(n, `parser failed on this line: ${(err as Error).message}`);
    }
  }

  private async flushEvents(all: boolean): Promise<void> {
    const size = this.batchSize;
    while (this.events.length >= size || (all && this.events.length > 0)) {
      let e = this.events;
      let l = this.eventLines;
      let t = this.eventTexts;
      if (e.length <= size) {
        this.events = [];
        this.eventLines = [];
        this.eventTexts = [];
      } else {
        // One line gave several events past the batch size: send exactly a batch.
        this.events = e.slice(size);
        this.eventLines = l.slice(size);
        this.eventTexts = t.slice(size);
        e = e.slice(0, size);
        l = l.slice(0, size);
        t = t.slice(0, size);
      }
      await this.handOn(e, l, t);
    }
    if (all) await this.settled();
  }

  private async handOn(e: CanonicalEvent[], l: number[], t: string[]): Promise<void> {
    if (!this.o.overlap) return this.o.onBatch(e, l, t);
    await this.settled();
    const p = this.o.onBatch(e, l, t);
    // its failure surfaces at the next settled(); until then it must not count as unhandled
    p.catch(() => {});
    this.storing = p;
  }

  /** Waits for the batch in flight; rethrows its failure. */
  private async settled(): Promise<void> {
    const p = this.storing;
    if (p === null) return;
    this.storing = null;
    await p;
  }
}

/**
 * Reads lines through a format's parser and hands the events on in batches, awaiting each
 * before reading on. A reject never stops the stream; a parser that throws on a line has that
 * line rejected with the error.
 */
export async function parseStream(o: ParseStreamOptions): Promise<ParseResult> {
  const feeder = new LineFeeder(o);
  for await (const item of o.lines) await feeder.push(item);
  return feeder.end();
}
