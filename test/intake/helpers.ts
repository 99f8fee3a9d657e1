import type { TextFormat } from '../../parse/format.js';
import type { CanonicalEvent } from '../../events/schema.js';
import type { SourceOptions } from '../../schemas/source-config.js';

export const NOW = Date.UTC(2026, 5, 15);

export interface Collected {
  events: { line: number; event: CanonicalEvent }[];
  rejects: { line: number; reason: string }[];
  skips: { line: number; reason: string }[];
}

/** Feeds lines (numbered from 1) through a fresh parser of the format. */
export function feed(format: TextFormat, lines: string[], options: SourceOptions = {}): Collected {
  const out: Collected = { events: [], rejects: [], skips: [] };
  const sink = {
    event: (event: CanonicalEvent, line: number) => out.events.push({ line, event }),
    reject: (line: number, reason: string) => out.rejects.push({ line, reason }),
    skip: (line: number, reason: string) => out.skips.push({ line, reason }),
  };
  // as test/helpers/parse.ts: these devices log UTC unless a test says otherwise
  const p = format.create({ timezone: 'UTC', ...options }, { now: NOW });
  lines.forEach((l, i) => p.line(l, i + 1, sink));
  p.end(sink);
  return out;
}
