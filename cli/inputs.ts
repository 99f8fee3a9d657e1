import { createWriteStream, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { eventToWire } from '../events/wire.js';
import type { CanonicalEvent } from '../events/schema.js';
import type { TextFormat } from '../parse/format.js';
import { captureKindOfFile, type CaptureKind } from '../parse/ipfix/capture.js';
import { loadSourceConfig, optionsFor, sourceFor } from '../intake/sources.js';
import type { Reject } from '../intake/pipeline.js';
import { autoWith, formatByName, IPFIX } from '../parse/registry.js';
import { zoneRequirement } from '../parse/zone-need.js';
import { zoneByName } from '../core/zoned.js';
import type { SourceConfig, SourceOptions } from '../schemas/source-config.js';
import { UsageError } from './fail.js';

export interface InputOptions {
  format?: string;
  config?: string;
  source?: string;
  /** `--ipfix-port`: only datagrams to these ports are replayed from a capture (comma-separated). */
  ipfixPort?: string;
  /** `--timezone`: the zone of zone-less times for inputs whose source sets none itself (IANA name). */
  timezone?: string;
}

/** A text log, read line by line through one format's parser. */
export interface TextInput {
  kind: 'text';
  file: string;
  format: TextFormat;
  options: SourceOptions;
}

/** A pcap / pcapng capture of IPFIX / NetFlow v9 exports, replayed through the collector's decoder. */
export interface CaptureInput {
  kind: 'capture';
  file: string;
  capture: CaptureKind;
  /** Exporters are matched to `format: ipfix` sources by address; `defaults` (or --source's options) for the rest. */
  config: SourceConfig | null;
  /** Destination ports to replay; undefined: every UDP datagram. */
  ports?: number[];
}

export type Input = TextInput | CaptureInput;

/** `--ipfix-port 4739,2055`: whole numbers 1-65535. */
export function parsePorts(text: string): number[] {
  const ports = text.split(',').map((p) => p.trim());
  const bad = ports.find((p) => !/^\d{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535);
  if (bad !== undefined) throw new UsageError(`--ipfix-port ${JSON.stringify(text)}: ${JSON.stringify(bad)} is not a port from 1 to 65535 (give one or more, comma-separated, e.g. 4739,2055)`);
  return ports.map(Number);
}

/** `--timezone Europe/Copenhagen`: an IANA zone, or a usage error naming it. */
export function parseTimezone(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (!zoneByName(text)) throw new UsageError(`--timezone ${JSON.stringify(text)}: unknown time zone (use an IANA name such as Europe/Copenhagen or UTC)`);
  return text;
}

/**
 * The options a text input is read with: the source's, where `--timezone` stands in for
 * `defaults.timezone` (the command line is the operator's latest word) but never for the
 * source's own zone, which knows its device best.
 */
function textOptions(config: SourceConfig | null, query: { name?: string; path?: string }, timezone: string | undefined): SourceOptions {
  const options = config ? optionsFor(config, query) : {};
  if (timezone === undefined) return options;
  const own = config ? sourceFor(config, query)?.options?.timezone : undefined;
  return own === undefined ? { ...options, timezone } : options;
}

/**
 * Decides how each input is read: --format wins, else the format of the configured source that
 * matches the file (by --source name or by path), else canonical NDJSON. A capture file (told
 * by its magic number) is replayed as IPFIX when the format is `ipfix` or `auto`, and refused
 * with the fix under any text format. `auto` reports the format it chose on stderr, so an
 * operator can see what each file was read as. A text input whose format reads times without a
 * zone, with no zone configured for it, is refused before any input is read: read as UTC, its
 * records would be hours off without a word.
 */
export async function inputsFor(files: string[], o: InputOptions): Promise<Input[]> {
  const timezone = parseTimezone(o.timezone);
  const config: SourceConfig | null = o.config ? await loadSourceConfig(o.config) : null;
  const ports = o.ipfixPort === undefined ? undefined : parsePorts(o.ipfixPort);
  const inputs: Input[] = [];
  for (const file of files) {
    const query = { name: o.source, path: file === '-' ? undefined : resolve(file) };
    const source = config ? sourceFor(config, query) : undefined;
    if (o.source && config && !source) throw new UsageError(`--source ${o.source}: no source of that name in ${o.config}`);
    if (o.source && !config) throw new UsageError(`--source ${o.source}: name the source configuration with --config (or drop --source)`);
    const name = o.format ?? source?.format ?? 'canonical';
    if (name !== IPFIX && name !== 'auto') formatByName(name);
    const capture = file === '-' ? null : await captureKindOfFile(file);
    if (capture !== null) {
      if (name !== IPFIX && name !== 'auto') throw new UsageError(`${file} is a ${capture} capture (binary), not a ${name} log: replay it with --format ipfix (or auto)`);
      // --source names the options of exporters no ipfix source matches by address
      const replayConfig = config && o.source ? { ...config, defaults: optionsFor(config, { name: o.source }) } : config;
      if (name === 'auto') process.stderr.write(`auto: ${file}: a ${capture} capture, replayed as ipfix\n`);
      inputs.push({ kind: 'capture', file, capture, config: replayConfig, ports });
      continue;
    }
    if (name === IPFIX) {
      throw new UsageError(
        file === '-'
          ? '--format ipfix replays capture files, and standard input is not one: save the capture to a file (tcpdump -w FILE) and name it'
          : `${file} is not a pcap or pcapng capture (no capture magic number at its start): --format ipfix replays tcpdump / Wireshark captures; read a text log with its own --format (or auto)`,
      );
    }
    const format =
      name === 'auto'
        ? autoWith((chosen) => process.stderr.write(`auto: ${file}: ${chosen ? `read as ${chosen.name}` : 'no format recognised its first lines'}\n`))
        : formatByName(name);
    const options = textOptions(config, query, timezone);
    const problem = zoneRequirement(name, options);
    if (problem !== null) throw new UsageError(`${file === '-' ? 'standard input' : file}: ${problem}, or give --timezone ZONE`);
    inputs.push({ kind: 'text', file, format, options });
  }
  return inputs;
}

const SHOWN = 100;

/** What the rejects file holds about one line: a reject, a store refusal with its event, or (when asked) a skip. */
export interface Kept extends Reject {
  event?: CanonicalEvent;
  skipped?: true;
}

/**
 * Prints rejects as file:line: reason (the first hundred), and keeps them all in --rejects as
 * NDJSON: `{file, line, reason, text}`, plus `event` (canonical, as `ingest --format canonical`
 * reads it) for events the store refused, and `skipped: true` for skipped lines when asked.
 */
export class RejectLog {
  private shown = 0;
  count = 0;
  private readonly out: WriteStream | null;
  private failure: Error | null = null;

  constructor(path: string | undefined) {
    this.out = path ? createWriteStream(path, { flags: 'a' }) : null;
    // reported when the run ends (a rejects file that cannot be written is the run's failure)
    this.out?.on('error', (err) => void (this.failure ??= err));
  }

  add(r: Kept) {
    this.count++;
    if (this.shown < SHOWN) {
      this.shown++;
      process.stderr.write(`${r.file}:${r.line}: ${r.reason}\n`);
    }
    this.write(r);
  }

  /** A skipped line: kept in the file, not printed (the summary counts skips by reason). */
  skip(r: Reject) {
    this.write({ ...r, skipped: true });
  }

  private write(r: Kept) {
    if (!this.out || this.failure) return;
    const line: Record<string, unknown> = { file: r.file, line: r.line, reason: r.reason, text: r.text };
    if (r.event) line.event = eventToWire(r.event);
    if (r.skipped) line.skipped = true;
    this.out.write(`${JSON.stringify(line)}\n`);
  }

  async close(): Promise<void> {
    if (this.count > this.shown) {
      process.stderr.write(`… and ${this.count - this.shown} more rejected lines${this.out ? ` (all in ${this.out.path})` : ' (keep them all with --rejects FILE)'}\n`);
    }
    const out = this.out;
    if (out && !this.failure) {
      await new Promise<void>((done) => {
        out.once('error', () => done());
        out.end(done);
      });
    }
    if (this.failure) throw this.failure;
  }
}
