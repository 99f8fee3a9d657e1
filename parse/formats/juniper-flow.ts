import type { NatEvent } from '../../events/schema.js';
import type { LineParser, ParseSink, TextFormat } from '../format.js';
import { sdParam } from '../syslog-header.js';
import { junosTag, tagAt } from './juniper-pba.js';
import { emitNat, headerInstant, isBlank, natSetup, portNumber, protocolOf, smallInt, type NatSetup, zoneReport, SYSLOG_ZONELESS } from './nat-common.js';

/**
 * Junos per-session logs (nat-log-formats.md §3.2), structured form:
 *
 *   RT_FLOW - RT_FLOW_SESSION_CREATE [junos@… source-address="10.0.10.10" source-port="46776" …
 *     nat-source-address="1.2.84.172" nat-source-port="53328" … protocol-id="6" …]
 *
 * CREATE / CREATE_USF become the alloc of a one-port block (the translated source port), CLOSE
 * its release. These records carry no epoch, so the time is the header's; CLOSE's
 * `elapsed-time` restates when the session began.
 */

const TAG = 'RT_FLOW_SESSION_';

const SOURCE_ADDRESS = 'source-address="';
const SOURCE_PORT = 'source-port="';
const NAT_SOURCE_ADDRESS = 'nat-source-address="';
const NAT_SOURCE_PORT = 'nat-source-port="';
const PROTOCOL_ID = 'protocol-id="';
const ROUTING_INSTANCE = 'routing-instance="';
const ELAPSED = 'elapsed-time="';

function eventOf(tag: string): NatEvent['event'] | null {
  switch (tag) {
    case 'RT_FLOW_SESSION_CREATE': case 'RT_FLOW_SESSION_CREATE_USF': case 'RT_FLOW_SESSION_CREATE_LS': return 'alloc';
    case 'RT_FLOW_SESSION_CLOSE': case 'RT_FLOW_SESSION_CLOSE_USF': case 'RT_FLOW_SESSION_CLOSE_LS': return 'release';
    default: return null;
  }
}

function parseLine(s: NatSetup, text: string, lineNo: number, sink: ParseSink): void {
  const t = text.indexOf(TAG);
  if (t < 0) {
    if (isBlank(text)) return sink.skip(lineNo, 'blank line');
    const other = junosTag(text);
    return sink.skip(lineNo, other !== null ? `${other} is not a session record` : 'not a Junos RT_FLOW_SESSION record');
  }
  const tag = tagAt(text, t);
  const event = eventOf(tag);
  if (event === null) return sink.skip(lineNo, `${tag} is not a session create or close`); // e.g. _DENY: no translation

  let from = t + tag.length;
  while (text.charCodeAt(from) === 32) from++;
  if (text.charCodeAt(from) !== 91 /* [ */) {
    return sink.reject(lineNo, `${tag}: not in structured-data form (key="value"); configure \`set system syslog … structured-data\``);
  }
  const privateIp = sdParam(text, SOURCE_ADDRESS, from);
  if (privateIp === undefined) return sink.reject(lineNo, `${tag}: source-address is missing (or the line is truncated)`);
  const publicIp = sdParam(text, NAT_SOURCE_ADDRESS, from);
  if (publicIp === undefined) return sink.reject(lineNo, `${tag}: nat-source-address is missing (or the line is truncated)`);
  const portText = sdParam(text, NAT_SOURCE_PORT, from);
  const port = portNumber(portText);
  if (port === null) {
    return sink.reject(lineNo, portText === undefined ? `${tag}: nat-source-port is missing` : `${tag}: nat-source-port ${JSON.stringify(portText)} is not a port`);
  }
  // SRX logs every session; one whose source was not translated attributes nothing.
  if (publicIp === privateIp && sdParam(text, SOURCE_PORT, from) === portText) {
    return sink.skip(lineNo, `${tag}: session without source NAT`);
  }
  let protocol: number | null = null;
  const protocolText = sdParam(text, PROTOCOL_ID, from);
  if (protocolText !== undefined) {
    const p = protocolOf(protocolText);
    if (p === undefined) return sink.reject(lineNo, `${tag}: protocol-id ${JSON.stringify(protocolText)} is not TCP, UDP, ICMP or ICMPv6`);
    protocol = p;
  }
  const routingInstance = sdParam(text, ROUTING_INSTANCE, from);
  const at = headerInstant(s.header(text));
  if (typeof at === 'string') return sink.reject(lineNo, `${tag}: ${at}`);

  let allocatedAt: number | null = null;
  if (event === 'release') {
    const elapsedText = sdParam(text, ELAPSED, from);
    if (elapsedText !== undefined) {
      const elapsed = smallInt(elapsedText);
      if (elapsed === null) return sink.reject(lineNo, `${tag}: elapsed-time ${JSON.stringify(elapsedText)} is not whole seconds`);
      allocatedAt = at - elapsed * 1000;
    }
  }
  emitNat(sink, lineNo, s, {
    event, at, publicIp, portStart: port, portEnd: port, privateIp,
    privateVrf: routingInstance ? routingInstance : null, protocol, allocatedAt,
  });
}

export const juniperFlow: TextFormat = {
  name: 'juniper-flow',
  kind: 'nat',
  zoneless: SYSLOG_ZONELESS,
  summary: 'Junos RT_FLOW_SESSION_CREATE[_USF]/CLOSE session logs (structured form) as one-port blocks',
  create(options, context): LineParser {
    const s = natSetup('juniper-flow', options, context);
    return {
      line: (text, lineNo, sink) => parseLine(s, text, lineNo, sink),
      end: () => {},
      ...zoneReport(s),
    };
  },
  sniff: (line) => line.includes(TAG),
};
