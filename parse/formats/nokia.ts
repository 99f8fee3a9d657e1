import { canonicalIp } from '../../core/ip.js';
import type { ZoneUse } from '../zone-clock.js';
import type { LineParser, ParseSink, TextFormat } from '../format.js';
import { readPairs } from './kv.js';
import { emitNat, headerInstant, isBlank, natSetup, portNumber, smallInt, type NatSetup, SYSLOG_ZONELESS } from './nat-common.js';

/**
 * Nokia 7750 SR (ISA/ESA) NAT port-block events (nat-log-formats.md §8).
 *
 * The SR OS message format string for these events was not found, so a record is read as the
 * reference says to: by event number (`#2012`, or the notification name) and the
 * TIMETRA-NAT-MIB objects it carries as `name=value` (`tmnxNatNotifyOutsideAddr=198.51.100.7`;
 * a `TIMETRA-NAT-MIB::` prefix or `.0` instance suffix on the name is allowed).
 *
 * 2012 (LSN) and 2013 (L2-aware): tmnxNatNotifyTruthValue true = allocated, false = freed.
 * 2021 tmnxNatLsnSubBlksFree replaces the free of a subscriber's last block and identifies the
 * subscriber, not necessarily the block; without the block it releases every block this
 * parser has seen the subscriber hold.
 */

const NAMES: Record<string, number> = {
  tmnxNatPlBlockAllocationLsn: 2012,
  tmnxNatPlBlockAllocationL2Aw: 2013,
  tmnxNatLsnSubBlksFree: 2021,
};
const SKIPPED: Record<number, string> = {
  2016: 'tmnxNatPlAddrFree is a summary event',
  2022: 'a deterministic-map state change',
  2030: 'tmnxNatInAddrPrefixBlksFree (semantics not verified)',
  2041: 'a deterministic-map state change',
  2042: 'a deterministic-map state change',
  2047: 'a deterministic-map state change',
};

const EVENT_NUMBER = /#(\d{4})\b/;
const NAME = /\btmnxNat(?:PlBlockAllocationLsn|PlBlockAllocationL2Aw|LsnSubBlksFree)\b/;

/** The object name without a MIB module prefix or instance suffix. */
function objectName(key: string): string {
  const colons = key.lastIndexOf('::');
  let name = colons >= 0 ? key.slice(colons + 2) : key;
  const dot = name.indexOf('.');
  if (dot >= 0) name = name.slice(0, dot);
  return name;
}

/** TruthValue as SNMP tools write it: true / true(1) / 1, false / false(2) / 2. */
function truth(text: string | undefined): boolean | null {
  switch (text) {
    case 'true': case 'true(1)': case '1': return true;
    case 'false': case 'false(2)': case '2': return false;
    default: return null;
  }
}

interface Block {
  publicIp: string;
  portStart: number;
  portEnd: number;
}

class NokiaParser implements LineParser {
  /** Blocks seen allocated and not yet freed, per inside VRF and address: what a bare 2021 frees. */
  private readonly open = new Map<string, Block[]>();

  constructor(private readonly s: NatSetup) {}

  zoneUse(): ZoneUse {
    return { ...this.s.clock.use };
  }

  line(text: string, lineNo: number, sink: ParseSink): void {
    if (isBlank(text)) return sink.skip(lineNo, 'empty line');
    const h = this.s.header(text);
    const msg = h.message;
    let event = 0;
    let from = 0;
    const num = EVENT_NUMBER.exec(msg);
    if (num) {
      event = Number(num[1]);
      from = num.index + num[0].length;
    } else {
      const name = NAME.exec(msg);
      if (!name) return sink.skip(lineNo, 'not an SR OS NAT event (no #event number or notification name)');
      event = NAMES[name[0]];
      from = name.index + name[0].length;
    }
    if (event !== 2012 && event !== 2013 && event !== 2021) {
      return sink.skip(lineNo, `SR OS event ${event}${SKIPPED[event] ? `: ${SKIPPED[event]}` : ' is not a port-block event'}`);
    }
    const raw = readPairs(msg, from, true);
    if (typeof raw === 'string') return sink.reject(lineNo, `event ${event}: ${raw}`);
    const f = new Map<string, string>();
    for (const [k, v] of raw) f.set(objectName(k), v);

    const inside = f.get('tmnxNatNotifyInsideAddr');
    if (inside === undefined) return sink.reject(lineNo, `event ${event}: tmnxNatNotifyInsideAddr (inside address) missing`);
    const vrtr = f.get('tmnxNatNotifyInsideVRtrID');
    if (vrtr !== undefined && smallInt(vrtr) === null) return sink.reject(lineNo, `event ${event}: tmnxNatNotifyInsideVRtrID ${JSON.stringify(vrtr)} is not a router id`);
    const at = headerInstant(h);
    if (typeof at === 'string') return sink.reject(lineNo, `event ${event}: ${at}`);

    const outside = f.get('tmnxNatNotifyOutsideAddr');
    const portText = f.get('tmnxNatNotifyPort');
    const port2Text = f.get('tmnxNatNotifyPort2');
    const hasBlock = outside !== undefined || portText !== undefined || port2Text !== undefined;
    let allocated: boolean;
    if (event === 2021) {
      allocated = false;
      if (!hasBlock) return this.releaseAll(inside, vrtr ?? null, at, event, lineNo, sink);
    } else {
      const t = truth(f.get('tmnxNatNotifyTruthValue'));
      if (t === null) {
        const v = f.get('tmnxNatNotifyTruthValue');
        return sink.reject(lineNo, `event ${event}: tmnxNatNotifyTruthValue ${v === undefined ? 'missing' : JSON.stringify(v)}; cannot tell allocation from release`);
      }
      allocated = t;
    }
    if (outside === undefined) return sink.reject(lineNo, `event ${event}: tmnxNatNotifyOutsideAddr (outside address) missing`);
    const portStart = portNumber(portText);
    if (portStart === null) return sink.reject(lineNo, `event ${event}: tmnxNatNotifyPort ${portText === undefined ? 'missing' : `${JSON.stringify(portText)} is not a port`}`);
    const portEnd = portNumber(port2Text);
    if (portEnd === null) return sink.reject(lineNo, `event ${event}: tmnxNatNotifyPort2 ${port2Text === undefined ? 'missing' : `${JSON.stringify(port2Text)} is not a port`}`);

    const emitted = emitNat(sink, lineNo, this.s, {
      event: allocated ? 'alloc' : 'release', at, publicIp: outside, portStart, portEnd, privateIp: inside, privateVrf: vrtr ?? null, protocol: null, allocatedAt: null,
    });
    if (emitted) this.track(allocated, inside, vrtr ?? null, { publicIp: canonicalIp(outside)!, portStart, portEnd });
  }

  end(): void {}

  private key(inside: string, vrtr: string | null): string | null {
    const ip = canonicalIp(inside);
    return ip === null ? null : `${this.s.vrf(vrtr)} ${ip}`;
  }

  private track(allocated: boolean, inside: string, vrtr: string | null, b: Block): void {
    const key = this.key(inside, vrtr)!;
    const blocks = this.open.get(key);
    const i = blocks ? blocks.findIndex((o) => o.publicIp === b.publicIp && o.portStart === b.portStart && o.portEnd === b.portEnd) : -1;
    if (allocated) {
      if (!blocks) this.open.set(key, [b]);
      else if (i < 0) blocks.push(b);
    } else if (blocks && i >= 0) {
      blocks.splice(i, 1);
      if (blocks.length === 0) this.open.delete(key);
    }
  }

  private releaseAll(inside: string, vrtr: string | null, at: number, event: number, lineNo: number, sink: ParseSink): void {
    const key = this.key(inside, vrtr);
    if (key === null) return sink.reject(lineNo, `event ${event}: inside address ${JSON.stringify(inside)} is not an IPv4 or IPv6 address`);
    const blocks = this.open.get(key);
    if (!blocks) {
      return sink.reject(lineNo, `event ${event}: frees the subscriber's remaining blocks without naming them, and no open block of ${inside} (router ${this.s.vrf(vrtr)}) was seen earlier in this input`);
    }
    this.open.delete(key);
    for (const b of blocks) {
      emitNat(sink, lineNo, this.s, {
        event: 'release', at, publicIp: b.publicIp, portStart: b.portStart, portEnd: b.portEnd, privateIp: inside, privateVrf: vrtr, protocol: null, allocatedAt: null,
      });
    }
  }
}

export const nokia: TextFormat = {
  name: 'nokia',
  kind: 'nat',
  zoneless: SYSLOG_ZONELESS,
  summary: 'Nokia 7750 SR NAT events 2012/2013 (block allocated/freed by tmnxNatNotifyTruthValue) and 2021 (subscriber blocks freed)',
  create(options, context) {
    return new NokiaParser(natSetup('nokia', options, context));
  },
  sniff(line) {
    return line.includes('tmnxNatNotify') && (EVENT_NUMBER.test(line) || NAME.test(line));
  },
};
