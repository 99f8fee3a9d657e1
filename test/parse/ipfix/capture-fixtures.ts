import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { PBA_TEMPLATE, dataSet, ip, ipfixMessage, pbaRecord, rec, templateSet, u16, u32, u8, type TemplateDef } from './encoder.js';

/** One RFC 8158 port-block allocation, its template first: what both capture readers replay. */
export const T0 = Date.UTC(2026, 9, 25, 0, 59, 58, 123);
export const EXPORT = Math.floor(T0 / 1000) + 1;
export const tpl = ipfixMessage({ exportTime: EXPORT }, [templateSet(10, [PBA_TEMPLATE])]);
export const data = ipfixMessage({ exportTime: EXPORT }, [dataSet(300, [pbaRecord({ ms: T0, ev: 16, inside: '100.64.12.34', outside: '198.51.100.7', start: 1024, end: 1535 })])]);
export const exp = (payload: Buffer, src = '192.0.2.10') => ({ src, dst: '192.0.2.99', srcPort: 50000, dstPort: 4739, payload });

/** A temporary folder for the file's captures, removed after its tests; call at the top level. */
export function scratchDir(prefix: string): () => string {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return () => dir;
}

/** Juniper-numbered NetFlow v9 port blocks (natEvent, inside, outside, first and last port), as an MX exports them. */
export const JUNIPER_V9: TemplateDef = { id: 400, fields: [[230, 1], [8, 4], [225, 4], [361, 2], [362, 2]] };
export const juniper = (ev: number, inside: string, start: number) => rec(u8(ev), ip(inside), ip('198.51.100.20'), u16(start), u16(start + 255));
/** Cisco IOS-XR CGN v9 records of templates 265 (add) and 266 (delete). */
export const xrAdd = (inside: string, start: number) => rec(u32(0), u32(0), ip(inside), ip('100.1.1.1'), u16(start), u16(start + 1023));
export const xrDel = (inside: string, start: number) => rec(u32(0), ip(inside), u16(start));
/** RFC 8158 port blocks of 512 ports on 198.51.100.7, stamped `ms`. */
export const pbaAt = (ms: number) => (ev: number, inside: string, start: number) => pbaRecord({ ms, ev, inside, outside: '198.51.100.7', start, end: start + 511 });
