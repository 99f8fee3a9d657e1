/**
 * The NetFlow v9 templates Cisco IOS-XR CGN exports, field for field as its code writes them
 * (reference §4.2). An exporter sending exactly one of these without `ipfixNatEventNumbering:
 * cisco-iosxr` is almost surely that device unconfigured: its records carry no natEvent, so
 * they are skipped, and the skip says how to fix it.
 */

type Field = readonly [ie: number, length: number];

const VRF_IN: Field = [234, 4];
const VRF_OUT: Field = [235, 4];
const IN_V4: Field = [8, 4];
const IN_V6: Field = [27, 16];
const OUT_V4: Field = [225, 4];
const IN_PORT: Field = [7, 2];
const OUT_PORT: Field = [227, 2];
const PROTOCOL: Field = [4, 1];
const START: Field = [361, 2];
const END: Field = [362, 2];
const DST_V4: Field = [12, 4];
const DST_PORT: Field = [11, 2];

const TEMPLATES: ReadonlyMap<number, readonly Field[]> = new Map([
  [256, [VRF_IN, VRF_OUT, IN_V4, OUT_V4, IN_PORT, OUT_PORT, PROTOCOL]],
  [257, [VRF_IN, IN_V4, IN_PORT, PROTOCOL]],
  [265, [VRF_IN, VRF_OUT, IN_V4, OUT_V4, START, END]],
  [266, [VRF_IN, IN_V4, START]],
  [267, [VRF_IN, VRF_OUT, IN_V4, IN_V6, OUT_V4, IN_PORT, OUT_PORT, PROTOCOL]],
  [268, [VRF_IN, IN_V4, IN_V6, IN_PORT, PROTOCOL]],
  [269, [VRF_IN, VRF_OUT, IN_V4, IN_V6, OUT_V4, START, END]],
  [270, [VRF_IN, IN_V4, IN_V6, START]],
  [271, [VRF_IN, VRF_OUT, IN_V4, OUT_V4, IN_PORT, OUT_PORT, DST_V4, DST_PORT, PROTOCOL]],
  [272, [VRF_IN, IN_V4, DST_V4, IN_PORT, DST_PORT, PROTOCOL]],
]);

/** Whether a NetFlow v9 template has exactly the id, fields and field lengths of a Cisco IOS-XR CGN NAT template. */
export function isCiscoIosxrTemplate(version: number, id: number, ids: ArrayLike<number>, lengths: ArrayLike<number>): boolean {
  const t = TEMPLATES.get(id);
  if (version !== 9 || t === undefined || t.length !== ids.length) return false;
  return t.every(([ie, len], i) => ids[i] === ie && lengths[i] === len);
}
