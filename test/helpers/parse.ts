import { expect } from 'vitest';
import type { ParseContext, ParseSink, TextFormat } from '../../parse/format.js';
import type { CanonicalEvent, LeaseEvent, NatEvent } from '../../events/schema.js';
import type { SourceOptions } from '../../schemas/source-config.js';

/**
 * The one harness for the text parsers: it feeds a fresh parser line by line (numbered from 1,
 * without line ends), as ingest does, and collects what the parser reports.
 */

/** "Now" for year-less headers: mid-2026, so `May 7` is 2026-05-07. Override with `{ now }`. */
export const NOW = Date.UTC(2026, 5, 15);

export interface Outcome<E extends CanonicalEvent = CanonicalEvent> {
  /** The events, each with the line the parser reported it at. */
  events: Array<E & { line: number }>;
  rejects: Array<{ line: number; reason: string }>;
  skips: Array<{ line: number; reason: string }>;
}

/**
 * Feeds the lines through a fresh parser and collects its events, rejects and skips. An event of
 * the other kind than the format's (a NAT event from a lease parser) fails the test at once.
 */
export function run<E extends CanonicalEvent = NatEvent>(
  format: TextFormat,
  lines: readonly string[],
  options: SourceOptions = {},
  context: Partial<ParseContext> = {},
): Outcome<E> {
  const out: Outcome<E> = { events: [], rejects: [], skips: [] };
  const sink: ParseSink = {
    event(e, line) {
      if (format.kind !== 'any' && e.kind !== format.kind) throw new Error(`${format.name} (${format.kind}) emitted a ${e.kind} event at line ${line}`);
      out.events.push({ ...(e as E), line });
    },
    reject: (line, reason) => out.rejects.push({ line, reason }),
    skip: (line, reason) => out.skips.push({ line, reason }),
  };
  // The devices of these tests log UTC unless a test says otherwise: a source without a zone
  // has its zone-less times rejected, so a test of that passes `{ timezone: undefined }`.
  const parser = format.create({ timezone: 'UTC', ...options }, { now: NOW, ...context });
  lines.forEach((text, i) => parser.line(text, i + 1, sink));
  parser.end(sink);
  return out;
}

/**
 * `run` for a whole file's text, for the multi-line formats (lease blocks, CSV with a header,
 * RADIUS detail records): split at `\n` (a `\r` stays on its line), no line after a final `\n`.
 */
export function parse<E extends CanonicalEvent = LeaseEvent>(
  format: TextFormat,
  text: string,
  options: SourceOptions = {},
  context: Partial<ParseContext> = {},
): Outcome<E> {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return run<E>(format, lines, options, context);
}

/** The one event a single line yields (without its line number); fails the test with what came instead. */
export function one<E extends CanonicalEvent = NatEvent>(format: TextFormat, line: string, options: SourceOptions = {}): E {
  const r = run<E>(format, [line], options);
  if (r.events.length !== 1) throw new Error(`expected one event, got ${JSON.stringify(r)}`);
  const { line: _line, ...event } = r.events[0];
  return event as unknown as E;
}

/** The reason a single line is rejected; fails the test when it is not (or also yields an event). */
export function rejectReason(format: TextFormat, line: string, options: SourceOptions = {}): string {
  const r = run(format, [line], options);
  if (r.rejects.length !== 1 || r.events.length !== 0) throw new Error(`expected one reject, got ${JSON.stringify(r)}`);
  return r.rejects[0].reason;
}

/** The reason a single line is skipped; fails the test when it is not, or when it also yields anything else. */
export function skipReason(format: TextFormat, line: string, options: SourceOptions = {}): string {
  const r = run(format, [line], options);
  if (r.skips.length !== 1 || r.events.length !== 0 || r.rejects.length !== 0) throw new Error(`expected one skip, got ${JSON.stringify(r)}`);
  return r.skips[0].reason;
}

/** Lines paired with the reason each is expected to be rejected or skipped with: `[reason, line]`. */
export type ReasonCases = ReadonlyArray<readonly [reason: string, line: string]>;

/**
 * Feeds the lines of `cases` through one parser, in order, and expects no event and each line
 * rejected once, at its own line number, with exactly the reason paired with it.
 */
export function expectRejected(format: TextFormat, cases: ReasonCases, options: SourceOptions = {}): void {
  expectEach('rejects', format, cases, options, (reason) => reason);
}

/** `expectRejected` where each reason need only contain the text paired with its line. */
export function expectRejectedContaining(format: TextFormat, cases: ReasonCases, options: SourceOptions = {}): void {
  expectEach('rejects', format, cases, options, (part) => expect.stringContaining(part));
}

/** Like `expectRejected`, for lines that are all skipped (and none rejected), with exactly these reasons. */
export function expectSkipped(format: TextFormat, cases: ReasonCases, options: SourceOptions = {}): void {
  expectEach('skips', format, cases, options, (reason) => reason);
}

function expectEach(what: 'rejects' | 'skips', format: TextFormat, cases: ReasonCases, options: SourceOptions, reason: (text: string) => unknown): void {
  const r = run(format, cases.map(([, line]) => line), options);
  expect(r.events).toEqual([]);
  if (what === 'skips') expect(r.rejects).toEqual([]);
  expect(r[what]).toEqual(cases.map(([text], i) => ({ line: i + 1, reason: reason(text) })));
}

/** An ISO instant as epoch ms. */
export const utc = (iso: string) => Date.parse(iso);
