import type { CanonicalEvent } from '../events/schema.js';
import type { SourceOptions } from '../schemas/source-config.js';
import type { ZoneUse } from './zone-clock.js';

/**
 * Where a parser puts what it read. A line yields events, a reject (it should have been an
 * attribution record but could not be read: the reason says what was wrong), or a skip (a line
 * the device also logs that is not about attribution: pool alarms, rule matches).
 */
export interface ParseSink {
  event(e: CanonicalEvent, line: number): void;
  reject(line: number, reason: string): void;
  skip(line: number, reason: string): void;
}

/**
 * A parser for one text source. It is fed line by line (without the line end) and keeps
 * whatever state its format needs (multi-line blocks, CSV headers); `end` flushes that state.
 */
export interface LineParser {
  line(text: string, lineNo: number, sink: ParseSink): void;
  end(sink: ParseSink): void;
  /** Which zone its times were read in, and how many needed it; absent for formats whose times never do. */
  zoneUse?(): ZoneUse | undefined;
}

/** What a parser may need to know about the run, beyond the source's configuration. */
export interface ParseContext {
  /** Epoch ms taken as "now" when a timestamp has no year (RFC 3164); tests fix it. */
  now: number;
}

export interface TextFormat {
  name: string;
  kind: 'nat' | 'lease' | 'any';
  /** One line for `whohad parse --help`. */
  summary: string;
  create(options: SourceOptions, context: ParseContext): LineParser;
  /**
   * What this format's lines usually write without a zone ("syslog header times"), so that a
   * source of it must configure `timezone`; absent when its times carry their zone or are UTC
   * by definition. Either way a line whose time has no zone is rejected when none is set.
   */
  zoneless?: string;
  /** Whether a line (the first few non-empty ones of a file) looks like this format, for `auto`. */
  sniff(line: string): boolean;
}
