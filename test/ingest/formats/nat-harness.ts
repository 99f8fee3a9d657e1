import type { TextFormat } from '../../../ingest/format.js';
import type { NatEvent } from '../../../schemas/events.js';
import type { SourceOptions } from '../../../schemas/source-config.js';

export interface Outcome {
  events: { line: number; event: NatEvent }[];
  rejects: { line: number; reason: string }[];
  skips: { line: number; reason: string }[];
}

/** "Now" for year-less headers: mid-2026, so `May 7` is 2026-05-07. */
export const NOW = Date.UTC(2026, 5, 15);

/** Feeds the lines (numbered from 1) through a fresh parser and collects what it reports. */
export function run(format: TextFormat, lines: string[], options: SourceOptions = {}): Outcome {
  const out: Outcome = { events: [], rejects: [], skips: [] };
  const sink = {
    event: (e: any, line: number) => out.events.push({ line, event: e }),
    reject: (line: number, reason: string) => out.rejects.push({ line, reason }),
    skip: (line: number, reason: string) => out.skips.push({ line, reason }),
  };
  const parser = format.create(options, { now: NOW });
  lines.forEach((text, i) => parser.line(text, i + 1, sink));
  parser.end(sink);
  return out;
}

/** The one event a single line yields; fails the test with the reject or skip reason otherwise. */
export function one(format: TextFormat, line: string, options: SourceOptions = {}): NatEvent {
  const r = run(format, [line], options);
  if (r.events.length !== 1) throw new Error(`expected one event, got ${JSON.stringify(r)}`);
  return r.events[0].event;
}

/** The reason a single line is rejected; fails the test when it is not. */
export function rejectReason(format: TextFormat, line: string, options: SourceOptions = {}): string {
  const r = run(format, [line], options);
  if (r.rejects.length !== 1 || r.events.length !== 0) throw new Error(`expected one reject, got ${JSON.stringify(r)}`);
  return r.rejects[0].reason;
}

export function skipReason(format: TextFormat, line: string, options: SourceOptions = {}): string {
  const r = run(format, [line], options);
  if (r.skips.length !== 1 || r.events.length !== 0 || r.rejects.length !== 0) throw new Error(`expected one skip, got ${JSON.stringify(r)}`);
  return r.skips[0].reason;
}
