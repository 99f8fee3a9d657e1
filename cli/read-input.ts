import type { CanonicalEvent } from '../events/schema.js';
import { replayCapture } from '../intake/capture-replay.js';
import { SkipReasons, wrongFormatHint, zeroInputCounts, type InputCounts } from '../intake/input-tally.js';
import { LineFeeder, linesOf, type ParseCounts, type Reject } from '../intake/pipeline.js';
import { describeZoneUse, type ZoneUse } from '../parse/zone-clock.js';
import type { Input } from './inputs.js';

/**
 * One input read to the end, text log or capture alike, for `ingest` and `parse`: the events go
 * to `onBatch`, rejects to `onReject`, skips are counted by reason (and handed to `onSkip`),
 * and the report says what it was read as and whether that looks like the wrong format.
 */

export interface InputReport {
  file: string;
  /** The format that read it (`auto`'s choice), or `ipfix (pcap)`. */
  format: string;
  /** What `lines` counts: lines, or UDP datagrams of a capture. */
  unit: 'lines' | 'datagrams';
  /** `stored` and `refused` stay 0 here: the caller that stores fills them in. */
  counts: InputCounts;
  skips: SkipReasons;
  /** `probably the wrong format: …`, or null. */
  hint: string | null;
  /** Which zone its zone-less times were read in (`zone: UTC applied to …`), or that it needed none. */
  zone: string;
}

export interface ReadHooks {
  onBatch(events: CanonicalEvent[], lines: number[], texts: string[]): Promise<void>;
  onReject(r: Reject): void;
  onSkip?(r: Reject): void;
  onProgress?(p: ParseCounts): void;
}

/** The zone line of a summary: the zone applied, or that the format's times needed none. */
export function zoneLine(zone: ZoneUse | undefined, format: string): string {
  return zone ? describeZoneUse(zone) : `zone: none needed (${format} times carry their own offset or are UTC)`;
}

export async function readInput(input: Input, h: ReadHooks): Promise<InputReport> {
  const counts = zeroInputCounts();
  const skips = new SkipReasons();
  if (input.kind === 'capture') {
    const r = await replayCapture({
      path: input.file,
      config: input.config,
      dstPorts: input.ports,
      onBatch: (events, frames) => h.onBatch(events, frames, frames.map(() => '')),
      onReject: h.onReject,
    });
    for (const s of r.skippedBy) skips.add(s.first, s.count);
    Object.assign(counts, { lines: r.lines, events: r.events, unreadable: r.rejected, skipped: r.skipped });
    const bad = counts.unreadable + counts.skipped;
    const hint =
      counts.lines > 0 && bad * 2 > counts.lines && input.ports === undefined
        ? `${bad} of ${counts.lines} datagrams were skipped or rejected: if the capture holds other UDP traffic, name the exporters' destination port with --ipfix-port`
        : null;
    return { file: input.file, format: `ipfix (${r.capture})`, unit: 'datagrams', counts, skips, hint, zone: 'zone: none needed (IPFIX times are epoch, UTC by definition)' };
  }
  const feeder = new LineFeeder({
    format: input.format,
    options: input.options,
    context: { now: Date.now() },
    file: input.file,
    onBatch: h.onBatch,
    onReject: h.onReject,
    onSkip: (s) => {
      skips.add(s.reason);
      h.onSkip?.(s);
    },
    onProgress: h.onProgress,
  });
  for await (const lines of linesOf(input.file)) await feeder.push(lines);
  const r = await feeder.end();
  Object.assign(counts, { lines: r.lines, events: r.events, unreadable: r.rejected, skipped: r.skipped });
  return {
    file: input.file,
    format: r.format,
    unit: 'lines',
    counts,
    skips,
    hint: wrongFormatHint(counts, r.format, feeder.sample),
    zone: zoneLine(r.zone, r.format),
  };
}
