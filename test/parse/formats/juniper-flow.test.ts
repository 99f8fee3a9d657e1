import { describe, expect, it } from 'vitest';
import { juniperFlow } from '../../../parse/formats/juniper-flow.js';
import { expectRejected, expectSkipped, run } from '../../helpers/parse.js';

// Shapes from nat-log-formats.md §3.2 with this project's own values.
const CREATE =
  '<14>1 2026-05-04T08:15:30.250+02:00 srx-edge-1 RT_FLOW - RT_FLOW_SESSION_CREATE [junos@2636.1.1.1.2.40 source-address="100.64.3.17" source-port="51234" destination-address="192.0.2.80" destination-port="443" connection-tag="0" service-name="junos-https" nat-source-address="198.51.100.9" nat-source-port="40123" nat-destination-address="192.0.2.80" nat-destination-port="443" src-nat-rule-type="source rule" src-nat-rule-name="cgn" protocol-id="6" policy-name="out" source-zone-name="trust" destination-zone-name="untrust" session-id-32="88123" routing-instance="subs-vr"]';
const CLOSE =
  '<14>1 2026-05-04T08:20:30.250+02:00 srx-edge-1 RT_FLOW - RT_FLOW_SESSION_CLOSE [junos@2636.1.1.1.2.40 reason="TCP FIN" source-address="100.64.3.17" source-port="51234" destination-address="192.0.2.80" destination-port="443" connection-tag="0" service-name="junos-https" nat-source-address="198.51.100.9" nat-source-port="40123" nat-destination-address="192.0.2.80" nat-destination-port="443" protocol-id="6" policy-name="out" session-id-32="88123" packets-from-client="12" bytes-from-client="3000" elapsed-time="300" routing-instance="subs-vr"]';
const USF =
  '<14>1 2026-05-04T01:23:06.269-07:00 spc3-a RT_FLOW - RT_FLOW_SESSION_CREATE_USF [junos@2636.1.1.1.2.25 prefix="PFX" service-set-name="SS1" source-address="100.64.9.10" source-port="7" destination-address="192.0.2.10" destination-port="21219" connection-tag="0" service-name="icmp" nat-source-address="198.51.100.200" nat-source-port="1024" protocol-id="1" nestedapplication="N/A"]';

describe('juniper-flow', () => {
  it('maps CREATE and CLOSE to a one-port alloc and release, with protocol, routing instance and elapsed time', () => {
    const { events, rejects } = run(juniperFlow, [CREATE, CLOSE], { natInstance: 'srx-edge-1' });
    expect(rejects).toEqual([]);
    const base = {
      kind: 'nat', natInstance: 'srx-edge-1', publicIp: '198.51.100.9', portStart: 40123, portEnd: 40123,
      privateIp: '100.64.3.17', privateVrf: 'subs-vr', protocol: 6, source: 'juniper-flow',
    };
    const created = Date.UTC(2026, 4, 4, 6, 15, 30, 250);
    const closed = Date.UTC(2026, 4, 4, 6, 20, 30, 250);
    expect(events).toEqual([
      { ...base, event: 'alloc', at: created, allocatedAt: null, line: 1 },
      { ...base, event: 'release', at: closed, allocatedAt: closed - 300_000, line: 2 },
    ]);
  });

  it('reads the MX-SPC3 _USF form; without routing-instance the VRF is the configured one', () => {
    const { events, rejects } = run(juniperFlow, [USF], { vrf: 'inside' });
    expect(rejects).toEqual([]);
    expect(events).toEqual([{
      kind: 'nat', event: 'alloc', at: Date.UTC(2026, 4, 4, 8, 23, 6, 269), natInstance: 'default', publicIp: '198.51.100.200',
      portStart: 1024, portEnd: 1024, privateIp: '100.64.9.10', privateVrf: 'inside', protocol: 1, allocatedAt: null,
      source: 'juniper-flow', line: 1,
    }]);
  });

  it('takes a BSD header through the configured zone', () => {
    const bsd = CREATE.replace('<14>1 2026-05-04T08:15:30.250+02:00 srx-edge-1 RT_FLOW - ', '<14>May  4 08:15:30 srx-edge-1 RT_FLOW: ');
    const { events } = run(juniperFlow, [bsd], { timezone: 'Europe/Copenhagen' });
    expect(events[0].at).toBe(Date.UTC(2026, 4, 4, 6, 15, 30));
  });

  it('skips denies, sessions without source NAT and other lines', () => {
    expectSkipped(juniperFlow, [
      ['RT_FLOW_SESSION_DENY is not a session create or close', '<14>1 2026-05-04T08:15:30Z srx-edge-1 RT_FLOW - RT_FLOW_SESSION_DENY [junos@2636.1.1.1.2.40 source-address="100.64.3.17" source-port="1" protocol-id="6"]'],
      ['RT_FLOW_SESSION_CREATE: session without source NAT', CREATE.replace('nat-source-address="198.51.100.9" nat-source-port="40123"', 'nat-source-address="100.64.3.17" nat-source-port="51234"')],
      ['RT_SRC_NAT_PBA_ALLOC is not a session record', '<14>1 2026-05-04T08:15:30Z srx-edge-1 RT_NAT - RT_SRC_NAT_PBA_ALLOC [internal-ip="1.1.1.1"]'],
      ['blank line', '   '],
    ]);
  });

  it('rejects what it cannot read, naming the field', () => {
    expectRejected(juniperFlow, [
      ['RT_FLOW_SESSION_CREATE: nat-source-port is missing', CREATE.replace(' nat-source-port="40123"', '')],
      ['RT_FLOW_SESSION_CREATE: nat-source-port "70000" is not a port', CREATE.replace('nat-source-port="40123"', 'nat-source-port="70000"')],
      ['RT_FLOW_SESSION_CREATE: protocol-id "47" is not TCP, UDP, ICMP or ICMPv6', CREATE.replace('protocol-id="6"', 'protocol-id="47"')],
      ['RT_FLOW_SESSION_CREATE: nat-source-address is missing (or the line is truncated)', CREATE.slice(0, CREATE.indexOf('nat-source-address="') + 25)],
      ['RT_FLOW_SESSION_CLOSE: elapsed-time "5m" is not whole seconds', CLOSE.replace('elapsed-time="300"', 'elapsed-time="5m"')],
      ['RT_FLOW_SESSION_CREATE: no time: the line has no syslog header and the record carries no time', CREATE.replace('<14>1 2026-05-04T08:15:30.250+02:00 srx-edge-1 RT_FLOW - ', '')],
      ['RT_FLOW_SESSION_CREATE: not in structured-data form (key="value"); configure `set system syslog … structured-data`', '<14>May  4 08:15:30 srx-edge-1 RT_FLOW: RT_FLOW_SESSION_CREATE: session created 100.64.3.17/51234->192.0.2.80/443 junos-https 198.51.100.9/40123->192.0.2.80/443'],
      ['RT_FLOW_SESSION_CLOSE: no usable time: header time "2026-05-04T08:20:30.250" is not an RFC 3339 instant', CLOSE.replace('2026-05-04T08:20:30.250+02:00', '2026-05-04T08:20:30.250').replace('elapsed-time="300"', 'elapsed-time="0"')],
    ]);
  });

  it('sniffs RT_FLOW session lines', () => {
    expect(juniperFlow.sniff(USF)).toBe(true);
    expect(juniperFlow.sniff('RT_NAT - RT_SRC_NAT_PBA_ALLOC [x="1"]')).toBe(false);
  });
});
