/**
 * The first lines of a file of each text format, written for these tests from the shapes the
 * parser tests use. `auto` must recognise each as its own format and no other, and the named
 * parser must read every line without a reject (so the samples stay real as parsers evolve).
 */
export const SAMPLES: Record<string, string[]> = {
  'juniper-pba': [
    '<14>1 2026-03-14T10:26:54.120+01:00 srx-cgn-2 RT_NAT - RT_SRC_NAT_PBA_ALLOC [junos@2636.1.1.1.2.129 internal-ip="100.64.7.20" block-used="1" block-max-per-host="8" block-port-low="20480" block-port-high="20607" reflexive-ip="198.51.100.44" nat-pool-name="cgn-pool" logical-system-id="0" epoch-time-64="69b529dd"]',
    '<14>1 2026-03-14T09:59:59.000Z srx-cgn-2 RT_NAT - RT_SRC_NAT_PBA_RELEASE [junos@2636.1.1.1.2.129 internal-ip="100.64.7.20" block-used="0" block-max-per-host="8" block-port-low="20480" block-port-high="20607" reflexive-ip="198.51.100.44" nat-pool-name="cgn-pool" logical-system-id="0" epoch-time-64="69b5319e"]',
  ],
  'juniper-jservices': [
    '<142>Mar 14 14:26:50 mx-cgn-1 {cgn_ss}MSVCS_LOG_SESSION_OPEN: App:none, xe-2/0/0.100#012 100.64.20.5:40001 [198.51.100.60:2048] -> 192.0.2.53:53 (UDP)',
    'Mar 14 14:26:54 2026-03-14 14: 26:53: mx-cgn-1{cgn_ss}[jservices-nat]: JSERVICES_NAT_PORT_BLOCK_ALLOC: 100.64.20.5 -> 198.51.100.61:3072-3327 0x69b529dd',
  ],
  'juniper-flow': [
    '<14>1 2026-05-04T08:15:30.250+02:00 srx-edge-1 RT_FLOW - RT_FLOW_SESSION_CREATE [junos@2636.1.1.1.2.40 source-address="100.64.3.17" source-port="51234" destination-address="192.0.2.80" destination-port="443" connection-tag="0" service-name="junos-https" nat-source-address="198.51.100.9" nat-source-port="40123" nat-destination-address="192.0.2.80" nat-destination-port="443" src-nat-rule-type="source rule" src-nat-rule-name="cgn" protocol-id="6" policy-name="out" source-zone-name="trust" destination-zone-name="untrust" session-id-32="88123" routing-instance="subs-vr"]',
  ],
  'cisco-cgn': [
    '<134> 1 2026 Mar 4 07:05:09 10.20.30.40 - - NAT44 - [UserbasedA - 100.64.1.2 Broadband - 198.51.100.7 - 2048 3071 - - ][UserbasedW - 100.64.1.3 - - 198.51.100.7 - 3072 4095 - - ]',
  ],
  'cisco-asa': [
    '<166>Apr 02 2026 10:00:05 asa-edge : %ASA-6-305011: Built dynamic TCP translation from inside:100.64.5.6/50500 to outside:198.51.100.20/33001',
  ],
  a10: [
    '<134>May  7 10:20:30 cgn7.lab/part1 CEF:0|A10|CFW|6.0.2|CGN 106|Nat Port Batch Pool Allocated|5|proto=UDP src=100.70.1.9 sourceTranslatedAddress=203.0.113.40 sourceTranslatedPort=30208 cn3=30463 cn3Label=Last Nat Port',
    '<134>May  7 10:20:31 ax1 NAT-TCP-D: 100.70.3.3:10000<-->203.0.113.50:10002 to 192.0.2.80:443',
  ],
  'f5-lsn': [
    '<134>1 2026-03-01T08:00:00.250+01:00 bigip3 tmm1 - - - bigip3 LSN_ADD 100.72.0.15%7:51000 6 198.51.100.90%0:40123 192.0.2.10 443',
  ],
  fortigate: [
    '<189>date=2026-03-29 time=01:30:00 devname="fgt-edge1" devid="FG1HFT0000000001" eventtime=1774747800123456789 tz="+0100" logid="0100022015" type="event" subtype="system" level="notice" vd="root" logdesc="IP pool PBA created" saddr=10.20.0.5 nat=203.0.113.70 portbegin=5120 portend=5247 poolname="pba pool 1" msg="IP pool PBA created"',
  ],
  nokia: [
    '<188>1 2026-04-01T10:00:00.000Z bng1 TMNX - - - 77 MINOR: NAT #2012 Base tmnxNatNotifyTruthValue=true tmnxNatNotifyOutsideVRtrID=1 tmnxNatNotifyOutsideAddr=198.51.100.20 tmnxNatNotifyPort=2048 tmnxNatNotifyPort2=2111 tmnxNatNotifyLsnSubId=276824064 tmnxNatNotifyInsideAddr=100.80.1.1 tmnxNatNotifyInsideVRtrID=3 tmnxNatNotifyNumber=1',
  ],
  nfware: [
    '<134>Aug  3 23:59:59 vcgnat-2 nat: A VRF 4 INT 10.44.0.7 EXT 192.0.2.200:2048-3071',
  ],
  '6wind': [
    'Jun 11 08:03:09 vsr-3 fp-cgnat[977]: USER 100.66.0.42 (matching rule 3): NEW BLOCK (pool "pool-a", ip public 198.51.100.33, proto 17, port 513 - 1024)',
  ],
  vpp: [
    '<134>1 2026-02-10T14:05:06.789+02:00 tnsr-1 NAT 4242 APMADD [napmap SSUBIX="12" SVLAN="5" IATYP="IPv4" ISADDR="10.9.0.3" ISPORT="33000" XATYP="IPv4" XSADDR="198.51.100.60" XSPORT="1025" PROTO="6"]',
  ],
  'isc-dhcpd': [
    '# The format of this file is documented in the dhcpd.leases(5) manual page.',
    '# This lease file was written by isc-dhcp-4.4.3',
    '',
    'authoring-byte-order little-endian;',
    '',
    'lease 100.64.12.34 {',
    '  starts 3 2026/03/04 10:00:00;',
    '  ends 3 2026/03/04 11:00:00;',
    '  binding state active;',
    '  hardware ethernet 00:16:3e:0a:0b:0c;',
    '}',
  ],
  'kea-csv': [
    'address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id',
    '100.64.1.10,00:16:3e:12:34:56,01:00:16:3e:12:34:56,3600,1767229200,1,0,0,cpe-1.example.net,0,,0',
  ],
  'kea-legal': [
    '2026-01-15 10:00:00 CET Address: 100.64.7.9 has been assigned for 0 hrs 10 mins 0 secs to a device with hardware address: hwtype=1 00:16:3e:aa:bb:cc',
  ],
  'radius-detail': [
    'Thu Jan  1 11:00:00 2026',
    '\tUser-Name = "alice@isp"',
    '\tNAS-IP-Address = 192.0.2.1',
    '\tAcct-Session-Id = "S1"',
    '\tAcct-Status-Type = Start',
    '\tFramed-IP-Address = 100.64.9.1',
    '\tTimestamp = 1767261602',
    '',
  ],
  canonical: [
    '{"kind":"lease","event":"start","at":"2026-10-25T00:10:00.000Z","ip":"100.64.12.34","subscriberId":"sub-004211","expiresAt":"2026-10-25T01:10:00.000Z","source":"kea-csv"}',
    '{"kind":"nat","event":"alloc","at":"2026-10-25T00:59:58.000Z","natInstance":"cgn1","publicIp":"198.51.100.7","portStart":1024,"portEnd":1535,"privateIp":"100.64.12.34"}',
  ],
};

/** Options each sample needs to read cleanly (zone-less timestamps). */
export const SAMPLE_OPTIONS: Record<string, { timezone?: string }> = {
  'kea-legal': { timezone: 'Europe/Copenhagen' },
  'radius-detail': { timezone: 'Europe/Copenhagen' },
};
