import { MAX_INSTANT } from '../../core/time.js';
import type { NatEvent } from '../../events/schema.js';
import type { LineParser, ParseSink, TextFormat } from '../format.js';
import { sdParam } from '../syslog-header.js';
import { emitNat, headerInstant, isBlank, natSetup, portNumber, type NatSetup, zoneReport, SYSLOG_ZONELESS } from './nat-common.js';

/**
 * Junos SRX / MX-SPC3 port-block allocation logs (nat-log-formats.md §3.1), in both renderings:
 *
 *   RT_NAT - RT_SRC_NAT_PBA_ALLOC [junos@… internal-ip="10.0.10.10" … block-port-low="48640"
 *     block-port-high="48895" reflexive-ip="1.2.84.172" … epoch-time-64="624b0492"]
 *   RT_NAT: RT_SRC_NAT_PBA_ALLOC: Subscriber 100.64.60.74 used/maximum [10/15] blocks, allocates
 *     port block [24064-24191] from 203.0.113.100 in source pool P lsys_id: 0 epoch 0x6a44007a
 *
 * with an RFC 5424 header, a BSD header, or none. The embedded epoch is UTC and beats the
 * header, which is often zone-less device time. INTERIM repeats the ALLOC's epoch, so there the
 * epoch is `allocatedAt` and the interim's own time is the header's.
 */

const TAG = 'RT_SRC_NAT_PBA_';

const INTERNAL_IP = 'internal-ip="';
const REFLEXIVE_IP = 'reflexive-ip="';
const PORT_LOW = 'block-port-low="';
const PORT_HIGH = 'block-port-high="';
const EPOCH = 'epoch-time-64="';

/**
 * Junos hex Unix seconds (`624b0492`, `0x6a44007a`) as epoch ms; null for 0 (no epoch: use the
 * header), a string saying what is wrong otherwise.
 */
export function hexEpochMs(text: string): number | null | string {
  const from = text.charCodeAt(0) === 48 && (text.charCodeAt(1) === 120 || text.charCodeAt(1) === 88) ? 2 : 0;
  if (text.length === from || text.length - from > 12) return `${JSON.stringify(text)} is not hex Unix seconds`;
  let seconds = 0;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) return `${JSON.stringify(text)} is not hex Unix seconds`;
    seconds = seconds * 16 + d;
  }
  if (seconds === 0) return null;
  const ms = seconds * 1000;
  return ms <= MAX_INSTANT ? ms : `${JSON.stringify(text)} is past the year 9999`;
}

/** The upper-case identifier (`RT_SRC_NAT_SUBS_POOL_ALARM_RAISE`) starting at `at`. */
export function tagAt(text: string, at: number): string {
  let end = at;
  for (; end < text.length; end++) {
    const c = text.charCodeAt(end);
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95)) break;
  }
  return text.slice(at, end);
}

/**
 * The Junos event tag of a line that is not the one a parser wants, for its skip reason: the
 * longest `RT_…` word, since the facility (`RT_NAT`) comes before the tag.
 */
export function junosTag(text: string): string | null {
  let best: string | null = null;
  for (let i = text.indexOf('RT_'); i >= 0; i = text.indexOf('RT_', i + 3)) {
    const tag = tagAt(text, i);
    if (best === null || tag.length > best.length) best = tag;
  }
  return best;
}

interface PbaFields {
  privateIp: string;
  publicIp: string;
  low: number;
  high: number;
  epoch: string | undefined;
}

/** Reads the structured form; a string says what is wrong. */
function readStructured(text: string, from: number): PbaFields | string {
  const privateIp = sdParam(text, INTERNAL_IP, from);
  if (privateIp === undefined) return 'internal-ip is missing (or the line is truncated)';
  const publicIp = sdParam(text, REFLEXIVE_IP, from);
  if (publicIp === undefined) return 'reflexive-ip is missing (or the line is truncated)';
  const lowText = sdParam(text, PORT_LOW, from);
  const low = portNumber(lowText);
  if (low === null) return lowText === undefined ? 'block-port-low is missing' : `block-port-low ${JSON.stringify(lowText)} is not a port`;
  const highText = sdParam(text, PORT_HIGH, from);
  const high = portNumber(highText);
  if (high === null) return highText === undefined ? 'block-port-high is missing' : `block-port-high ${JSON.stringify(highText)} is not a port`;
  return { privateIp, publicIp, low, high, epoch: sdParam(text, EPOCH, from) };
}

/**
 * Reads the text form: `Subscriber A … port block [lo-hi] from B … epoch 0x…`. Collectors pass
 * it on with runs of spaces or tabs between the words (rsyslog's escapes, re-wrapped lines), so
 * every run is read as one space: the words and their order are what carry the facts.
 */
function readText(line: string, at: number): PbaFields | string {
  const text = line.slice(at).replace(/\s+/g, ' ');
  const from = 0;
  const sub = text.indexOf('Subscriber ', from);
  if (sub < 0) return 'no "Subscriber <address>"';
  const privateIp = wordAt(text, sub + 11);
  const block = text.indexOf('port block [', sub);
  if (block < 0) return 'no "port block [lo-hi]"';
  const close = text.indexOf(']', block);
  if (close < 0) return 'port block range is not closed by "]" (truncated line?)';
  const range = text.slice(block + 12, close);
  const dash = range.indexOf('-');
  const low = dash > 0 ? portNumber(range.slice(0, dash)) : null;
  const high = dash > 0 ? portNumber(range.slice(dash + 1)) : null;
  if (low === null || high === null) return `port block [${range}] is not [lo-hi]`;
  const fromAt = text.indexOf(' from ', close);
  if (fromAt < 0) return 'no "from <public address>" after the port block';
  const publicIp = wordAt(text, fromAt + 6);
  const epochAt = text.indexOf(' epoch ', fromAt);
  return { privateIp, publicIp, low, high, epoch: epochAt < 0 ? undefined : wordAt(text, epochAt + 7) };
}

function wordAt(text: string, at: number): string {
  const end = text.indexOf(' ', at);
  return text.slice(at, end < 0 ? text.length : end);
}

function parseLine(s: NatSetup, text: string, lineNo: number, sink: ParseSink): void {
  const t = text.indexOf(TAG);
  if (t < 0) {
    if (isBlank(text)) return sink.skip(lineNo, 'blank line');
    const other = junosTag(text);
    return sink.skip(lineNo, other !== null ? `${other} is not a port-block record` : 'not a Junos RT_SRC_NAT_PBA record');
  }
  const tag = tagAt(text, t);
  let event: NatEvent['event'];
  if (tag === 'RT_SRC_NAT_PBA_ALLOC') event = 'alloc';
  else if (tag === 'RT_SRC_NAT_PBA_RELEASE') event = 'release';
  else if (tag === 'RT_SRC_NAT_PBA_INTERIM') event = 'interim';
  else return sink.skip(lineNo, `${tag} is not a port-block record`);

  let after = t + tag.length;
  while (text.charCodeAt(after) === 32) after++;
  const fields = text.charCodeAt(after) === 91 /* [ */ ? readStructured(text, after) : readText(text, after);
  if (typeof fields === 'string') return sink.reject(lineNo, `${tag}: ${fields}`);

  let epoch: number | null = null;
  if (fields.epoch !== undefined) {
    const e = hexEpochMs(fields.epoch);
    if (typeof e === 'string') return sink.reject(lineNo, `${tag}: epoch ${e}`);
    epoch = e;
  }
  let at: number;
  let allocatedAt: number | null = null;
  if (event === 'interim') {
    // The epoch is when the block was allocated; when the interim was sent is only in the
    // header. Without a usable header the record still proves the block was held at its
    // allocation, so it is kept at that instant rather than lost.
    allocatedAt = epoch;
    const h = s.header(text);
    if (h.time !== null) at = h.time;
    else if (epoch !== null) at = epoch;
    else return sink.reject(lineNo, `${tag}: ${headerInstant(h)}`);
  } else if (epoch !== null) {
    at = s.clock.own(epoch);
  } else {
    const when = headerInstant(s.header(text));
    if (typeof when === 'string') return sink.reject(lineNo, `${tag}: ${when}`);
    at = when;
  }
  emitNat(sink, lineNo, s, {
    event, at, publicIp: fields.publicIp, portStart: fields.low, portEnd: fields.high,
    privateIp: fields.privateIp, privateVrf: null, protocol: null, allocatedAt,
  });
}

export const juniperPba: TextFormat = {
  name: 'juniper-pba',
  kind: 'nat',
  zoneless: SYSLOG_ZONELESS,
  summary: 'Junos SRX/MX-SPC3 RT_SRC_NAT_PBA_ALLOC/INTERIM/RELEASE port-block logs (structured or text; epoch-time-64 preferred)',
  create(options, context): LineParser {
    const s = natSetup('juniper-pba', options, context);
    return {
      line: (text, lineNo, sink) => parseLine(s, text, lineNo, sink),
      end: () => {},
      ...zoneReport(s),
    };
  },
  sniff: (line) => line.includes(TAG),
};
