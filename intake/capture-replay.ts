import type { CanonicalEvent } from '../events/schema.js';
import type { SourceConfig } from '../schemas/source-config.js';
import type { ParseResult, Reject } from './pipeline.js';
import { captureFileUdp, type CaptureKind } from '../parse/ipfix/capture.js';
import { IpfixDatagrams, type ExporterKey } from '../parse/ipfix/datagrams.js';
import type { IpfixSkipCode } from '../parse/ipfix/decoder.js';
import { exporterSources } from './exporter-sources.js';

/**
 * Replays a pcap / pcapng capture of NetFlow v9 / IPFIX exports: every UDP datagram goes
 * through the collector's own path (datagrams.ts), with templates kept per exporter and
 * observation domain across the whole file and options matched per exporter address as the
 * collector does, so a capture of the packets a collector missed fills the gap with exactly the
 * events the collector would have stored. Events are handed on in batches, each awaited before
 * reading on; problems become rejects with the frame number in place of a line number.
 */

export interface CaptureReplayOptions {
  path: string;
  /** Names the input in rejects; default `path`. */
  file?: string;
  /** Sources with `format: ipfix` are matched to exporters by `match.host`; `defaults` apply to all. */
  config: SourceConfig | null;
  /** Only datagrams to these destination ports (--ipfix-port); default every UDP datagram. */
  dstPorts?: number[];
  exporterKey?: ExporterKey;
  /** Events per `onBatch` call (a final flush may send fewer); default 2000. */
  batchSize?: number;
  /** `frames`: the capture frame of each event, as the line pipeline gives line numbers. */
  onBatch(events: CanonicalEvent[], frames: number[]): Promise<void>;
  onReject(r: Reject): void;
}

/** Skips of one cause, with the first one's reason as the example to show. */
export interface SkipCount {
  code: IpfixSkipCode;
  count: number;
  first: string;
}

export interface ExporterCount {
  exporter: string;
  /** The configured source it matched, or `ipfix:ADDRESS`. */
  source: string;
  events: number;
  rejected: number;
  skipped: number;
}

export interface CaptureResult extends ParseResult {
  format: 'ipfix';
  capture: CaptureKind;
  /** `lines` counts the UDP datagrams handed to the decoder (frames of other traffic are not counted). */
  lines: number;
  /** Skips by cause, most frequent first. */
  skippedBy: SkipCount[];
  exporters: ExporterCount[];
}

export async function replayCapture(o: CaptureReplayOptions): Promise<CaptureResult> {
  const file = o.file ?? o.path;
  const sources = exporterSources(o.config);
  const batchSize = Math.max(1, o.batchSize ?? 2000);
  const counts = { lines: 0, events: 0, rejected: 0, skipped: 0 };
  const skips = new Map<IpfixSkipCode, SkipCount>();
  const exporters = new Map<string, ExporterCount>();
  const of = (exporter: string) => {
    let e = exporters.get(exporter);
    if (e === undefined) {
      e = { exporter, source: sources.sourceName(exporter), events: 0, rejected: 0, skipped: 0 };
      exporters.set(exporter, e);
    }
    return e;
  };
  let frame = 0;
  let events: CanonicalEvent[] = [];
  let frames: number[] = [];
  const reject = (reason: string, text: string) => {
    counts.rejected++;
    o.onReject({ file, line: frame, reason, text });
  };
  const datagrams = new IpfixDatagrams({
    decoder: sources.decoder,
    exporterKey: o.exporterKey,
    onEvents: (batch, exporter) => {
      counts.events += batch.length;
      of(exporter).events += batch.length;
      for (const e of batch) {
        events.push(e);
        frames.push(frame);
      }
    },
    onReject: (r) => {
      of(r.exporter).rejected++;
      reject(r.reason, `exporter ${r.exporter}, ${r.position}`);
    },
    onSkip: (r) => {
      counts.skipped++;
      of(r.exporter).skipped++;
      const s = skips.get(r.code);
      if (s) s.count++;
      else skips.set(r.code, { code: r.code, count: 1, first: r.reason });
    },
  });
  const flush = async (all: boolean) => {
    while (events.length >= batchSize || (all && events.length > 0)) {
      const e = events.slice(0, batchSize);
      const f = frames.slice(0, batchSize);
      events = events.slice(e.length);
      frames = frames.slice(f.length);
      await o.onBatch(e, f);
    }
  };

  const items = captureFileUdp(o.path, { dstPorts: o.dstPorts });
  let capture: CaptureKind;
  for (;;) {
    const next = await items.next();
    if (next.done) {
      capture = next.value;
      break;
    }
    const item = next.value;
    frame = item.frame;
    if (item.kind === 'problem') {
      reject(item.reason, '');
      continue;
    }
    counts.lines++;
    datagrams.receive(item.payload, { address: item.src, port: item.srcPort }, `frame ${item.frame}`);
    if (events.length >= batchSize) await flush(false);
  }
  await flush(true);
  return {
    format: 'ipfix',
    capture,
    ...counts,
    skippedBy: [...skips.values()].sort((a, b) => b.count - a.count),
    exporters: [...exporters.values()],
  };
}
