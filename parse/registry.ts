import { DomainError } from '../core/domain-error.js';
import { autoFormat, detectFormat, type AutoOptions } from './auto.js';
import type { TextFormat } from './format.js';
import { a10 } from './formats/a10.js';
import { canonical } from './formats/canonical.js';
import { ciscoAsa } from './formats/cisco-asa.js';
import { ciscoCgn } from './formats/cisco-cgn.js';
import { f5Lsn } from './formats/f5-lsn.js';
import { fortigate } from './formats/fortigate.js';
import { iscDhcpd } from './formats/isc-dhcpd.js';
import { juniperFlow } from './formats/juniper-flow.js';
import { juniperJservices } from './formats/juniper-jservices.js';
import { juniperPba } from './formats/juniper-pba.js';
import { keaCsv } from './formats/kea-csv.js';
import { keaLegal } from './formats/kea-legal.js';
import { nfware } from './formats/nfware.js';
import { nokia } from './formats/nokia.js';
import { radiusDetail } from './formats/radius-detail.js';
import { sixWind } from './formats/sixwind.js';
import { vpp } from './formats/vpp.js';

/**
 * Every text format, in the order `auto` tries them. The first whose sniff accepts a line wins,
 * so formats recognised by a fixed marker that nothing else writes come first (a JSON event, a
 * CSV header, a leases-file keyword, a vendor message tag), and those recognised by looser
 * shapes (nfware's "A VRF n … INT … EXT", A10's NAT-<proto>-<x>:) come last, where a line that
 * merely resembles them can no longer shadow a more certain match.
 */
export const sniffOrder: readonly TextFormat[] = [
  canonical,
  keaCsv,
  iscDhcpd,
  radiusDetail,
  keaLegal,
  juniperPba,
  juniperJservices,
  juniperFlow,
  nokia,
  ciscoCgn,
  ciscoAsa,
  f5Lsn,
  fortigate,
  vpp,
  sixWind,
  a10,
  nfware,
];

/** The text formats by name (not `auto`, which is built over them, nor the binary `ipfix`). */
export const textFormats: ReadonlyMap<string, TextFormat> = new Map(sniffOrder.map((f) => [f.name, f]));

/** `auto` over every text format; it tells no one its choice (use {@link autoWith} for that). */
export const auto: TextFormat = autoFormat({ candidates: sniffOrder });

/** `auto` that reports its choice per file, e.g. for the CLI's `auto: chose kea-csv for FILE`. */
export function autoWith(onChoice: NonNullable<AutoOptions['onChoice']>): TextFormat {
  return autoFormat({ candidates: sniffOrder, onChoice });
}

/** The name of the text format `auto` would choose for these lines (a file's first ones), or null. */
export function suggestFormat(lines: readonly string[]): string | null {
  return detectFormat(lines, sniffOrder)?.name ?? null;
}

/**
 * IPFIX / NetFlow v9 is binary, so it has no line parser: the collector takes it over UDP, and
 * `ingest` / `parse` of `ipfix` replay a pcap or pcapng capture file (parse/ipfix/capture.ts
 * tells them apart by the magic number; intake/capture-replay.ts feeds the datagrams through the
 * collector's own decoding path).
 */
export const IPFIX = 'ipfix';
export const IPFIX_NOTE = 'IPFIX / NetFlow v9 NAT events (binary): `collect --ipfix` over UDP, or a pcap / pcapng capture file for ingest and parse';

export interface FormatHelp {
  name: string;
  kind: TextFormat['kind'] | 'binary';
  summary: string;
}

const KIND_ORDER = { nat: 0, lease: 1, any: 2 } as const;

/** Every name `--format` accepts with its one-line summary, for help texts: NAT, then lease formats, then the rest. */
export const formatHelp: readonly FormatHelp[] = [
  ...[...sniffOrder]
    .sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.name.localeCompare(b.name))
    .map((f) => ({ name: f.name, kind: f.kind, summary: f.summary })),
  { name: auto.name, kind: auto.kind, summary: 'recognise the format of each file from its first lines (one format per file)' },
  { name: IPFIX, kind: 'binary', summary: IPFIX_NOTE },
];

export const formatNames: readonly string[] = formatHelp.map((f) => f.name);

/**
 * The text format called `name` (including `auto`). Unknown names and `ipfix` throw a
 * `bad_parameter` DomainError: the message lists what is valid, or says how ipfix is read,
 * since it has no line parser.
 */
export function formatByName(name: string): TextFormat {
  if (name === auto.name) return auto;
  const f = textFormats.get(name);
  if (f) return f;
  if (name === IPFIX) {
    throw new DomainError('bad_parameter', 'ipfix is binary, not a line format: receive it with `whohad collect --ipfix`, or give a pcap / pcapng capture file to ingest or parse', '--format');
  }
  throw new DomainError('bad_parameter', `unknown format ${JSON.stringify(name)}; valid formats: ${formatNames.join(', ')}`, '--format');
}

/** Whether `name` is a format the ingest accepts (a text format, `auto` or `ipfix`). */
export function isFormatName(name: string): boolean {
  return name === IPFIX || name === auto.name || textFormats.has(name);
}
