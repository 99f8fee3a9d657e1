import { sourceFor, type Source } from './sources.js';
import type { TextFormat } from '../parse/format.js';
import { wrongFormatHint } from './input-tally.js';
import { LineFeeder } from './pipeline.js';
import { AUTO_SNIFF_LINES } from '../parse/auto.js';
import { autoWith, formatByName, IPFIX } from '../parse/registry.js';
import { readSyslogHeader } from '../parse/syslog-header.js';
import type { SourceConfig, SourceOptions } from '../schemas/source-config.js';
import type { CounterBoard, SourceTally } from './counters.js';
import type { CollectReject } from './reject-file.js';
import type { SyslogMessage } from './syslog-listener.js';
import type { QueuedBatch } from './write-queue.js';

/**
 * Sends each syslog message to the parser of its source. The source is the configuration's
 * first syslog source whose `match.host` matches the HOSTNAME in the message header; a message
 * without a hostname (lines without a header, such as Kea CSV rows) is matched by the sender's
 * address instead. A message that names a host no source matches is not routed by its sender:
 * behind a relay every host has the relay's address, and the relay's own source would read
 * (and skip, without a word) every other device's messages with the wrong parser.
 *
 * A message no source matches goes, by default, to an `auto` parser of its own host (named
 * `auto:HOST`), which picks the host's format from its first messages and rejects them all,
 * saying so, when no format recognises them. Such a host gets `defaults` with its name as the
 * natInstance, so two unconfigured boxes' port blocks stay apart. `unmatched: 'reject'` rejects
 * those messages instead, for sites that want every device configured.
 *
 * Each source has one LineFeeder for the life of the collector, so parsers keep their state
 * (a CSV header, a multi-line block) across messages; a message's sequence number within its
 * source is its "line" in rejects.
 */

export type Unmatched = 'auto' | 'reject';

/** Name under which messages are counted when no source takes them. */
export const UNMATCHED = 'unmatched';

export interface RouterOptions {
  config: SourceConfig | null;
  unmatched: Unmatched;
  board: CounterBoard;
  /** Events per batch handed to `enqueue`. */
  batchSize: number;
  /** Unconfigured hosts given an auto parser at most; later ones are rejected (spoofed names must not grow memory). */
  maxAutoRoutes: number;
  /** "Now" for year-less timestamps, taken when a source's parser is created. */
  now: () => number;
  /** Takes a batch synchronously; the collector's queue applies backpressure, not the feeder. */
  enqueue(b: QueuedBatch): void;
  reject(r: CollectReject): void;
  /** A message the source's parser skipped, with the reason (already counted on the board). */
  skip(source: string, reason: string): void;
  log(line: string): void;
}

type Target =
  | { kind: 'source'; name: string; source: Source }
  | { kind: 'auto'; name: string; host: string }
  | { kind: 'refuse'; name: string; reason: string };

// Senders of the most recent messages of a source, by sequence number, for rejects that
// arrive after the message (multi-line records, auto's held lines).
const RECENT = 256;

interface Route {
  name: string;
  feeder: LineFeeder;
  tally: SourceTally;
  from: string[];
  /** Set when `auto` recognised nothing: the reason every message of the route is rejected with. */
  refusal: string | null;
  /** Whether the route's first messages were judged (a wrong format is said once). */
  judged: boolean;
}

export class Router {
  private readonly routes = new Map<string, Route>();
  private readonly config: SourceConfig | null;
  private autoRoutes = 0;
  private ended = false;

  constructor(private readonly o: RouterOptions) {
    // An IPFIX exporter's source must not capture the same box's syslog.
    this.config = o.config ? { ...o.config, sources: o.config.sources.filter((s) => s.format !== IPFIX) } : null;
  }

  deliver(m: SyslogMessage): void {
    if (this.ended) return this.unread(m.text, m.from, 'received after the collector began stopping', 'rejected');
    const target = this.target(m.text, m.from);
    if (target.kind === 'refuse') return this.unread(m.text, m.from, target.reason, 'rejected');
    const route = this.routes.get(target.name) ?? this.open(target);
    route.tally.received++;
    route.from[route.feeder.nextLine % RECENT] = m.from;
    route.feeder.push(m.text).catch((err: Error) => this.o.log(`${route.name}: ${err.message}`));
    this.sync(route);
  }

  /** Counts and keeps a message that was not parsed (too long, dropped), under the source it came from. */
  unread(text: string, from: string, reason: string, as: 'rejected' | 'dropped'): void {
    const name = this.nameFor(text, from);
    const tally = this.o.board.of(name);
    tally.received++;
    tally[as]++;
    this.o.reject({ source: name, seq: null, from, reason, text });
    this.o.board.notify();
  }

  /** The source a message would be counted under, without opening a parser for it. */
  nameFor(text: string, from: string): string {
    return this.target(text, from).name;
  }

  /** Hands every source's partial batch on. */
  async flush(): Promise<void> {
    await Promise.all([...this.routes.values()].map((r) => r.feeder.flush().then(() => this.sync(r))));
  }

  /** Ends every parser (an open block is rejected) and hands the rest on; later messages are rejected. */
  async end(): Promise<void> {
    this.ended = true;
    await Promise.all([...this.routes.values()].map((r) => r.feeder.end().then(() => this.sync(r))));
  }

  private target(text: string, from: string): Target {
    const host = readSyslogHeader(text, { timezone: 'UTC', now: 0 }).host;
    const source = this.sourceOf(host, from);
    if (source) return { kind: 'source', name: source.name, source };
    const who = (host ?? from).toLowerCase();
    const tried = host !== null ? `host "${host}" (sender ${from})` : `sender ${from} (the message has no syslog hostname)`;
    if (this.o.unmatched === 'reject') {
      return { kind: 'refuse', name: UNMATCHED, reason: `no configured source matches ${tried}: add a source with match.host for it` };
    }
    const name = `auto:${who}`;
    if (!this.routes.has(name) && this.autoRoutes >= this.o.maxAutoRoutes) {
      return { kind: 'refuse', name: UNMATCHED, reason: `no configured source matches ${tried}, and ${this.o.maxAutoRoutes} unconfigured hosts already have an auto-detected parser: add a source for it` };
    }
    return { kind: 'auto', name, host: who };
  }

  // Matching compiles each source's glob; a few hosts send nearly every message, so the
  // answer is kept per (hostname, sender), in a map emptied when it grows past a bound.
  private readonly matched = new Map<string, Source | null>();

  private sourceOf(host: string | null, from: string): Source | null {
    if (!this.config) return null;
    const key = `${host ?? ''}\u0000${from}`;
    let source = this.matched.get(key);
    if (source === undefined) {
      source = sourceFor(this.config, { host: host ?? from }) ?? null;
      if (this.matched.size >= 10_000) this.matched.clear();
      this.matched.set(key, source);
    }
    return source;
  }

  private open(t: Exclude<Target, { kind: 'refuse' }>): Route {
    const defaults = this.o.config?.defaults;
    let options: SourceOptions;
    let formatName: string;
    if (t.kind === 'source') {
      options = { ...defaults, ...t.source.options };
      formatName = t.source.format;
    } else {
      this.autoRoutes++;
      options = { ...defaults, natInstance: defaults?.natInstance ?? t.host.slice(0, 128) };
      formatName = 'auto';
    }
    const route: Route = { name: t.name, tally: this.o.board.of(t.name), from: new Array(RECENT).fill(''), refusal: null, judged: false, feeder: null! };
    const format: TextFormat =
      formatName === 'auto'
        ? autoWith((chosen, tried) => {
            if (chosen) this.o.log(`auto: ${t.name}: reading its messages as ${chosen.name}`);
            else {
              route.refusal = `${t.kind === 'auto' ? `no configured source matches host ${t.host}, and ` : ''}auto recognised none of its first messages (tried ${tried.join(', ')}): configure a source with the format for it`;
              this.o.log(`auto: ${t.name}: no format recognised its first messages; rejecting them`);
            }
          })
        : formatByName(formatName);
    route.feeder = new LineFeeder({
      format,
      options,
      context: { now: this.o.now() },
      file: t.name,
      batchSize: this.o.batchSize,
      onBatch: (events, lines) => {
        this.o.enqueue({ source: t.name, events, seqs: lines });
        return Promise.resolve();
      },
      onSkip: (r) => {
        route.tally.skips.add(r.reason);
        this.o.skip(t.name, r.reason);
      },
      onReject: (r) => {
        route.tally.rejected++;
        this.o.reject({ source: t.name, seq: r.line, from: route.from[r.line % RECENT] || null, reason: route.refusal ?? r.reason, text: r.text });
      },
    });
    this.routes.set(t.name, route);
    return route;
  }

  private sync(r: Route): void {
    const c = r.feeder.counts;
    r.tally.events = c.events;
    r.tally.skipped = c.skipped;
    if (!r.judged && c.lines >= AUTO_SNIFF_LINES && r.refusal === null) {
      // a source read with the wrong parser is skipped or rejected message by message: say so once
      r.judged = true;
      const chosen = r.feeder.chosenFormat;
      const hint = wrongFormatHint({ lines: c.lines, unreadable: c.rejected, skipped: c.skipped }, chosen, r.feeder.sample, (g) => `set format: ${g} for it in the source configuration`);
      if (hint !== null) this.o.log(`${r.name}: ${hint}`);
    }
    this.o.board.notify();
  }
}
