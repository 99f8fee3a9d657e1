import { parseIsoInstant } from '../../core/time.js';
import type { ParseSink, TextFormat } from '../format.js';
import { readPairs, type Pairs } from './kv.js';
import { emitNat, headerInstant, natSetup, portNumber, statelessParser, type NatSetup, SYSLOG_ZONELESS } from './nat-common.js';

/**
 * FortiGate IP-pool port-block logs (nat-log-formats.md §7): `key=value` records, logid 22015
 * (block created), 22016 (deallocated), 22024 (interim). Blocks cover all protocols.
 */

const EVENTS: Record<number, 'alloc' | 'release' | 'interim'> = { 22015: 'alloc', 22016: 'release', 22024: 'interim' };
const ALERTS: Record<number, string> = {
  22013: 'PBA block exhausted alert (22013)',
  22014: 'PBA NAT IP exhausted alert (22014)',
};

/**
 * `eventtime` as ms. Its unit changed between FortiOS versions (µs or ns per the reference;
 * older ones wrote seconds), so it is read from the digit count: for 2001-2286 seconds have
 * 10 digits, ms 13, µs 16, ns 19. Digits are cut as text: 19-digit values exceed 2^53.
 */
function eventTimeMs(text: string): number | string {
  if (!/^\d+$/.test(text)) return `eventtime ${JSON.stringify(text)} is not a number`;
  switch (text.length) {
    case 10: return Number(text) * 1000;
    case 13: return Number(text);
    case 16: return Number(text.slice(0, 13));
    case 19: return Number(text.slice(0, 13));
    default: return `eventtime ${JSON.stringify(text)} has ${text.length} digits: not seconds, ms, µs or ns since 1970 (2001-2286)`;
  }
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2}):(\d{2})$/;

/** `date` + `time`, with `tz` (`+0200`) when given, else device-local in the configured zone. */
function dateTimeMs(p: Pairs, s: NatSetup): number | string | null {
  const date = p.get('date');
  const time = p.get('time');
  if (date === undefined && time === undefined) return null;
  if (date === undefined || time === undefined) return `${date === undefined ? 'date' : 'time'} missing (the other is given, and there is no eventtime)`;
  const d = DATE.exec(date);
  if (!d) return `date ${JSON.stringify(date)} is not YYYY-MM-DD`;
  const t = TIME.exec(time);
  if (!t) return `time ${JSON.stringify(time)} is not HH:MM:SS`;
  const tz = p.get('tz');
  if (tz !== undefined) {
    const ms = parseIsoInstant(`${date}T${time}${tz}`);
    return ms !== null ? s.clock.own(ms) : `date/time/tz ${JSON.stringify(`${date} ${time} ${tz}`)} is not a valid time with an offset`;
  }
  const r = s.clock.local({ year: +d[1], month: +d[2], day: +d[3], hour: +t[1], minute: +t[2], second: +t[3], millisecond: 0 });
  return typeof r === 'string' ? `date/time ${date} ${time}: ${r}` : r;
}

// FortiOS's `set format cef` renames fields (FTNTFGT prefixes, some to CEF keys) by a mapping
// that does not list the port-block ones: a guessed name could take the wrong address.
const FORTIOS_CEF = /CEF:\d+\|Fortinet\|/;

function readLine(s: NatSetup, text: string, lineNo: number, sink: ParseSink): void {
  if (FORTIOS_CEF.test(text)) {
    return sink.reject(lineNo, 'FortiOS CEF format (set format cef): its names for the port-block fields are not documented, so the record cannot be read safely; set the syslog format to default');
  }
  const h = s.header(text);
  const p = readPairs(h.message, 0, true);
  if (typeof p === 'string') return sink.reject(lineNo, p);
  const logid = p.get('logid');
  if (logid === undefined) {
    if (p.size === 0) return sink.skip(lineNo, 'not a FortiGate key=value log');
    return sink.reject(lineNo, 'logid missing (truncated line?)');
  }
  if (!/^\d{1,10}$/.test(logid)) return sink.reject(lineNo, `logid ${JSON.stringify(logid)} is not a number`);
  // The 10-digit logid (0100022015) ends in the message id.
  const id = Number(logid) % 100000;
  const kind = EVENTS[id];
  if (kind === undefined) return sink.skip(lineNo, ALERTS[id] ?? `logid ${logid} is not a port-block record`);

  const saddr = p.get('saddr');
  if (saddr === undefined) return sink.reject(lineNo, `logid ${id}: saddr (private address) missing`);
  const nat = p.get('nat');
  if (nat === undefined) return sink.reject(lineNo, `logid ${id}: nat (public address) missing`);
  const beginText = p.get('portbegin');
  const portStart = portNumber(beginText);
  if (portStart === null) return sink.reject(lineNo, `logid ${id}: portbegin ${beginText === undefined ? 'missing' : `${JSON.stringify(beginText)} is not a port`}`);
  const endText = p.get('portend');
  const portEnd = portNumber(endText);
  if (portEnd === null) return sink.reject(lineNo, `logid ${id}: portend ${endText === undefined ? 'missing' : `${JSON.stringify(endText)} is not a port`}`);

  let at: number | string | null;
  const eventtime = p.get('eventtime');
  if (eventtime !== undefined) {
    at = eventTimeMs(eventtime);
    if (typeof at === 'number') s.clock.own(at);
  } else at = dateTimeMs(p, s) ?? headerInstant(h);
  if (typeof at === 'string') return sink.reject(lineNo, `logid ${id}: ${at}`);

  // A deallocation or interim states how long the block has been held (seconds), which
  // gives the allocation time.
  let allocatedAt: number | null = null;
  const duration = p.get('duration');
  if (kind !== 'alloc' && duration !== undefined) {
    if (!/^\d{1,10}$/.test(duration)) return sink.reject(lineNo, `logid ${id}: duration ${JSON.stringify(duration)} is not whole seconds`);
    allocatedAt = at - Number(duration) * 1000;
  }
  emitNat(sink, lineNo, s, { event: kind, at, publicIp: nat, portStart, portEnd, privateIp: saddr, privateVrf: null, protocol: null, allocatedAt });
}

export const fortigate: TextFormat = {
  name: 'fortigate',
  kind: 'nat',
  zoneless: `${SYSLOG_ZONELESS}, and date/time without tz`,
  summary: 'FortiGate IP-pool port-block logs (logid 22015 alloc, 22016 release, 22024 interim), time from eventtime',
  create(options, context) {
    const s = natSetup('fortigate', options, context);
    return statelessParser((text, lineNo, sink) => readLine(s, text, lineNo, sink), s);
  },
  sniff(line) {
    // devid is not in every record a collector passes on; eventtime is another FortiOS mark
    return /(?:^|[\s>])logid="?\d{10}"?(?:\s|$)/.test(line) && (line.includes('devid=') || line.includes('eventtime='));
  },
};
