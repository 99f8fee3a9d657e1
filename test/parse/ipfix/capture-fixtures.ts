import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { PBA_TEMPLATE, dataSet, ipfixMessage, pbaRecord, templateSet } from './encoder.js';

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
