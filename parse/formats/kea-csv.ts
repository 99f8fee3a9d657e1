import { canonicalIp, ipv6Prefix } from '../../core/ip.js';
import type { SourceOptions } from '../../schemas/source-config.js';
import { vrfNamer } from '../vrf.js';
import type { LineParser, ParseSink, TextFormat } from '../format.js';
import { DHCP4_DEFAULT_KEYS, emitLease, normHex, pickSubscriber, type Identifiers } from './lease-identifiers.js';

/**
 * Kea memfile lease files, kea-leases4.csv and kea-leases6.csv (reference/lease-formats.md §2).
 *
 * Header-driven: every header Kea has written (v4 from `hostname` up to `pool_id`, v6 from
 * `hostname` up to `pool_id`) maps its own columns, and a header line seen again (files
 * concatenated in Kea's load order) re-maps. Rows:
 *   valid_lifetime > 0, state 0 (or 4, a registered v6 address)
 *                         start at expire − valid_lifetime, expiresAt = expire
 *   state 2 (expired-reclaimed)
 *                         start as above, expire at expire
 *   state 1 (declined)    no client: skipped
 *   valid_lifetime = 0    delete / release marker. Its `expire` is the last cltt, not the
 *                         time of the delete: it says "ended, some time after cltt". An end
 *                         with `endTimeUnknown` at cltt, so the holding is bounded there
 *                         (docs/attribution.md, "Bounded ends") instead of running on to the
 *                         previous row's expiry as if nothing had been said.
 *   state 3 (released, kept for lease affinity)
 *                         the same: released at an unknown time after its cltt
 *                         (expire − valid_lifetime); the binding itself is the previous row's.
 */

const INFINITE_LIFETIME = 4294967295;

interface Columns {
  v6: boolean;
  count: number;
  address: number;
  hwaddr: number;
  clientId: number;
  duid: number;
  valid: number;
  expire: number;
  hostname: number;
  state: number;
  leaseType: number;
  iaid: number;
  prefixLen: number;
}

/** Kea's `&#xHH` escapes (no trailing `;`): commas, `&`, and since 3.3 control and high bytes. */
function unescape(text: string): string {
  if (!text.includes('&#x')) return text;
  const bytes: number[] = [];
  const raw = Buffer.from(text, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x26 && raw[i + 1] === 0x23 && raw[i + 2] === 0x78 && i + 4 < raw.length) {
      const hex = String.fromCharCode(raw[i + 3], raw[i + 4]);
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 4;
        continue;
      }
    }
    bytes.push(raw[i]);
  }
  return Buffer.from(bytes).toString('utf8');
}

function header(fields: string[]): Columns | string {
  const at = (name: string) => fields.indexOf(name);
  const c: Columns = {
    v6: at('duid') >= 0,
    count: fields.length,
    address: at('address'),
    hwaddr: at('hwaddr'),
    clientId: at('client_id'),
    duid: at('duid'),
    valid: at('valid_lifetime'),
    expire: at('expire'),
    hostname: at('hostname'),
    state: at('state'),
    leaseType: at('lease_type'),
    iaid: at('iaid'),
    prefixLen: at('prefix_len'),
  };
  const need = c.v6 ? ['address', 'duid', 'valid_lifetime', 'expire', 'lease_type'] : ['address', 'hwaddr', 'client_id', 'valid_lifetime', 'expire'];
  const missing = need.filter((n) => at(n) < 0);
  if (missing.length) return `Kea ${c.v6 ? 'v6' : 'v4'} lease file header lacks ${missing.join(', ')}`;
  return c;
}

const UINT = /^\d{1,20}$/;

class KeaCsvParser implements LineParser {
  private cols: Columns | null = null;
  private readonly vrf: string;

  constructor(private readonly options: SourceOptions) {
    this.vrf = vrfNamer(options)(null);
  }

  line(text: string, lineNo: number, sink: ParseSink): void {
    if (text.length === 0) return;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    const f = text.split(',');
    if (f[0] === 'address') {
      const h = header(f);
      if (typeof h === 'string') {
        this.cols = null;
        sink.reject(lineNo, h);
      } else {
        this.cols = h;
        sink.skip(lineNo, 'CSV header');
      }
      return;
    }
    const c = this.cols;
    if (!c) return sink.reject(lineNo, 'row before a valid Kea lease file header');
    if (f.length !== c.count) return sink.reject(lineNo, `row has ${f.length} columns, the header has ${c.count}`);

    const validText = f[c.valid];
    const expireText = f[c.expire];
    if (!UINT.test(validText)) return sink.reject(lineNo, `valid_lifetime ${JSON.stringify(validText)} is not a whole number`);
    if (!UINT.test(expireText)) return sink.reject(lineNo, `expire ${JSON.stringify(expireText)} is not epoch seconds`);
    const valid = Number(validText);
    const expire = Number(expireText);
    const stateText = c.state >= 0 ? f[c.state] : '0';
    const state = stateText === '' ? 0 : Number(stateText);
    if (!(state >= 0 && state <= 4 && Number.isInteger(state))) return sink.reject(lineNo, `state ${JSON.stringify(stateText)} is not 0-4`);
    if (state === 1) return sink.skip(lineNo, 'state 1 (declined): address quarantined, no client');
    // a deletion or release row: the holding ended, but the row keeps only the last client
    // transaction, not when it ended
    const endedUnknown = valid === 0 || state === 3;

    const addrText = f[c.address];
    const ids: Identifiers = {};
    let ip: string | null;
    if (c.v6) {
      const lt = f[c.leaseType];
      if (lt !== '0' && lt !== '1' && lt !== '2') return sink.reject(lineNo, `lease_type ${JSON.stringify(lt)} is not 0 (IA_NA), 1 (IA_TA) or 2 (IA_PD)`);
      // Older files wrote prefix_len 0 for addresses; Kea reads that as 128.
      const plen = c.prefixLen >= 0 ? f[c.prefixLen] : '128';
      if (lt === '2') {
        const p = ipv6Prefix(`${addrText}/${plen}`);
        if (typeof p === 'string') return sink.reject(lineNo, `IA_PD ${p}`);
        ip = p.ip;
        ids.prefix = p.prefix;
      } else {
        ip = canonicalIp(addrText);
        if (!ip || !ip.includes(':')) return sink.reject(lineNo, `address ${JSON.stringify(addrText)} is not an IPv6 address`);
      }
      const duid = f[c.duid];
      if (duid === '' || /^0{1,2}(:0{1,2})*$/.test(duid)) return sink.skip(lineNo, 'no DUID: no client');
      ids.duid = normHex(duid);
      if (c.iaid >= 0 && f[c.iaid] !== '') ids.iaid = f[c.iaid];
      if (c.hwaddr >= 0 && f[c.hwaddr] !== '') ids.mac = normHex(f[c.hwaddr]);
    } else {
      ip = canonicalIp(addrText);
      if (!ip || ip.includes(':')) return sink.reject(lineNo, `address ${JSON.stringify(addrText)} is not an IPv4 address`);
      const hw = f[c.hwaddr];
      const cid = f[c.clientId];
      if (hw === '' && cid === '') return sink.skip(lineNo, 'neither hwaddr nor client_id: no client (Kea rejects this row)');
      if (hw !== '') ids.mac = normHex(hw);
      if (cid !== '') ids.clientId = normHex(cid);
    }
    if (c.hostname >= 0 && f[c.hostname] !== '') {
      const h = unescape(f[c.hostname]);
      if (h.length <= 256) ids.hostname = h;
    }

    if (valid > expire) return sink.reject(lineNo, `expire ${expire} is before valid_lifetime ${valid} (cltt would be before 1970)`);
    const who = pickSubscriber(ids, this.options, c.v6 ? 'duid' : DHCP4_DEFAULT_KEYS);
    if ('reason' in who) return sink.reject(lineNo, who.reason);
    const at = (expire - valid) * 1000;
    if (endedUnknown) {
      emitLease(sink, lineNo, { event: 'end', at, ip, subscriberId: who.id, expiresAt: null, endTimeUnknown: true, identifiers: ids }, this.vrf, 'kea-csv');
      return;
    }
    const expiresAt = valid === INFINITE_LIFETIME ? null : expire * 1000;
    emitLease(sink, lineNo, { event: 'start', at, ip, subscriberId: who.id, expiresAt, identifiers: ids }, this.vrf, 'kea-csv');
    if (state === 2 && expiresAt !== null) {
      emitLease(sink, lineNo, { event: 'expire', at: expiresAt, ip, subscriberId: who.id, expiresAt: null, identifiers: ids }, this.vrf, 'kea-csv');
    }
  }

  end(): void {}
}

export const keaCsv: TextFormat = {
  name: 'kea-csv',
  kind: 'lease',
  summary: 'Kea memfile lease file, kea-leases4.csv / kea-leases6.csv (header-driven, all schema versions)',
  create(options: SourceOptions): LineParser {
    return new KeaCsvParser(options);
  },
  sniff(line: string): boolean {
    return line.startsWith('address,hwaddr,client_id,valid_lifetime,expire,') || line.startsWith('address,duid,valid_lifetime,expire,');
  },
};
