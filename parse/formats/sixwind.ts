import type { ParseSink, TextFormat } from '../format.js';
import { emitNat, endpointWithPort, headerInstant, natSetup, portNumber, protocolOf, splitAddressPort, statelessParser, type NatSetup, SYSLOG_ZONELESS } from './nat-common.js';

/**
 * 6WIND fp-cgnat events (nat-log-formats.md §13), after a BSD syslog header:
 *   USER 100.64.0.1 (matching rule 1): NEW BLOCK (pool "p", ip public 192.0.2.33, proto 6, port 1 - 512)
 *   USER … DESTROY BLOCK (…)
 *   NEW CONN: fwd proto 6 10.100.0.1:4241 -> 10.200.0.1:33815, back proto 6 10.200.0.1:33815 --> 10.175.0.3:10752
 *   DESTROY CONN: …
 * Blocks are per protocol; ranges are inclusive and written `a - b`.
 */

const USER = /(?:^| )USER (\S+) \(matching rule [^)]*\): (.*)$/;

function readLine(s: NatSetup, text: string, lineNo: number, sink: ParseSink): void {
  const h = s.header(text);
  const user = USER.exec(text);
  if (user) return readBlock(s, headerInstant(h), user[1], user[2], lineNo, sink);
  let i = text.indexOf('NEW CONN:');
  if (i >= 0) return readConn(s, headerInstant(h), 'alloc', text.slice(i + 9), lineNo, sink);
  i = text.indexOf('DESTROY CONN:');
  if (i >= 0) return readConn(s, headerInstant(h), 'release', text.slice(i + 13), lineNo, sink);
  if (h.app === 'fp-cgnat') return sink.skip(lineNo, 'fp-cgnat message that is not a block or connection event');
  sink.skip(lineNo, 'not a 6WIND fp-cgnat record');
}

function readBlock(s: NatSetup, at: number | string, inside: string, rest: string, lineNo: number, sink: ParseSink): void {
  const open = rest.indexOf(' (');
  const what = open < 0 ? rest.trim() : rest.slice(0, open);
  const event = what === 'NEW BLOCK' ? 'alloc' : what === 'DESTROY BLOCK' ? 'release' : null;
  if (event === null) return sink.skip(lineNo, `USER event ${JSON.stringify(what.slice(0, 60))} is not a block allocation`);
  if (open < 0) return sink.reject(lineNo, `${what}: its (pool …, ip public …, proto …, port …) list is missing`);
  const close = rest.lastIndexOf(')');
  if (close < open) return sink.reject(lineNo, `${what}: no closing parenthesis (truncated line?)`);
  let publicIp: string | undefined;
  let protoText: string | undefined;
  let portText: string | undefined;
  for (const item of rest.slice(open + 2, close).split(',')) {
    const t = item.trim();
    if (t.startsWith('ip public ')) publicIp = t.slice(10).trim();
    else if (t.startsWith('proto ')) protoText = t.slice(6).trim();
    else if (t.startsWith('port ')) portText = t.slice(5).trim();
  }
  if (publicIp === undefined) return sink.reject(lineNo, `${what}: "ip public" missing`);
  if (protoText === undefined) return sink.reject(lineNo, `${what}: proto missing (blocks are per protocol)`);
  const protocol = protocolOf(protoText);
  if (protocol === undefined) return sink.reject(lineNo, `${what}: proto ${JSON.stringify(protoText)} is not 6, 17 or 1`);
  if (portText === undefined) return sink.reject(lineNo, `${what}: port range missing`);
  const dash = portText.indexOf('-');
  const first = portNumber(dash < 0 ? undefined : portText.slice(0, dash).trim());
  const last = portNumber(dash < 0 ? undefined : portText.slice(dash + 1).trim());
  if (first === null || last === null) return sink.reject(lineNo, `${what}: port range ${JSON.stringify(portText)} is not "first - last"`);
  if (typeof at === 'string') return sink.reject(lineNo, at);
  emitNat(sink, lineNo, s, { event, at, publicIp, portStart: first, portEnd: last, privateIp: inside, privateVrf: null, protocol, allocatedAt: null });
}

/**
 * `fwd proto P A -> B, back proto P C --> D`. By conntrack semantics `fwd` is the original
 * tuple and `back` the reply, so A is the inside end and D the translated one; C must be B's
 * address, or the roles are not what that reading assumes and the line is rejected. (The
 * reference notes one vendor example whose reply ports do not match; ports are not compared.)
 */
function readConn(s: NatSetup, at: number | string, event: 'alloc' | 'release', rest: string, lineNo: number, sink: ParseSink): void {
  const name = event === 'alloc' ? 'NEW CONN' : 'DESTROY CONN';
  const w = rest.split(' ').filter((x) => x.length > 0);
  if (w.length !== 12) return sink.reject(lineNo, `${name}: expected "fwd proto P a:p -> b:p, back proto P c:p --> d:p", got ${w.length} words`);
  if (w[0] !== 'fwd' || w[1] !== 'proto' || w[4] !== '->' || w[6] !== 'back' || w[7] !== 'proto' || w[10] !== '-->' || !w[5].endsWith(',')) {
    return sink.reject(lineNo, `${name}: expected "fwd proto P a:p -> b:p, back proto P c:p --> d:p"`);
  }
  if (w[2] !== w[8]) return sink.reject(lineNo, `${name}: forward protocol ${w[2]} and reply protocol ${w[8]} differ`);
  const protocol = protocolOf(w[2]);
  if (protocol === undefined) return sink.reject(lineNo, `${name}: proto ${JSON.stringify(w[2])} is not 6, 17 or 1`);
  const inside = endpointWithPort(w[3], 'inside end');
  if (typeof inside === 'string') return sink.reject(lineNo, `${name}: ${inside}`);
  const dst = splitAddressPort(w[5].slice(0, -1));
  const replySrc = splitAddressPort(w[9]);
  const translated = splitAddressPort(w[11]);
  if (replySrc.address !== dst.address) {
    return sink.reject(lineNo, `${name}: reply source ${replySrc.address} is not the forward destination ${dst.address}; cannot tell the translated address`);
  }
  const port = portNumber(translated.port ?? undefined);
  if (port === null) return sink.reject(lineNo, `${name}: translated endpoint ${JSON.stringify(w[11])} has no port`);
  if (typeof at === 'string') return sink.reject(lineNo, at);
  emitNat(sink, lineNo, s, { event, at, publicIp: translated.address, portStart: port, portEnd: port, privateIp: inside.address, privateVrf: null, protocol, allocatedAt: null });
}

export const sixWind: TextFormat = {
  name: '6wind',
  kind: 'nat',
  zoneless: SYSLOG_ZONELESS,
  summary: '6WIND fp-cgnat NEW/DESTROY BLOCK (per protocol, "port a - b") and NEW/DESTROY CONN (one port) events',
  create(options, context) {
    const s = natSetup('6wind', options, context);
    return statelessParser((text, lineNo, sink) => readLine(s, text, lineNo, sink), s);
  },
  sniff(line) {
    return line.includes('fp-cgnat') || / \(matching rule [^)]*\): (?:NEW|DESTROY) BLOCK \(/.test(line) || line.includes('CONN: fwd proto ');
  },
};
