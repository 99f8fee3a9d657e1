import { auditKeys, type AuditRecord } from '../../audit/log.js';
import type { TestApp } from '../helpers/app.js';

/** Every access-log record, oldest first, read straight from Redis (reading through the API is itself recorded). */
export async function logRecords(app: TestApp): Promise<AuditRecord[]> {
  const rows = await app.redis.xrange(auditKeys.log, '-', '+');
  return rows.map(([id, f]) => ({ ...(JSON.parse(f[f.indexOf('r') + 1]) as AuditRecord), id }));
}

export const EVENTS = [
  { kind: 'nat', event: 'alloc', at: '2026-10-25T00:00:00Z', natInstance: 'cgn1', publicIp: '198.51.100.7', portStart: 1024, portEnd: 1535, privateIp: '100.64.0.1' },
  { kind: 'nat', event: 'alloc', at: '2026-10-25T00:00:00Z', natInstance: 'cgn1', publicIp: '198.51.100.7', portStart: 1536, portEnd: 2047, privateIp: '100.64.0.2' },
  { kind: 'lease', event: 'start', at: '2026-10-24T20:00:00Z', ip: '100.64.0.1', subscriberId: 'sub-A' },
  { kind: 'lease', event: 'start', at: '2026-10-24T20:00:00Z', ip: '100.64.0.2', subscriberId: 'sub-B' },
];

export const Q_A = 'ip=198.51.100.7&port=1100&at=2026-10-25T00:30:00Z';
export const Q_B = 'ip=198.51.100.7&port=1600&at=2026-10-25T00:30:00Z';

export async function bearer(app: TestApp, name: string, roles: string[], sources?: string[]): Promise<{ authorization: string }> {
  return { authorization: `Bearer ${(await app.tokens.create(name, roles, sources)).token}` };
}
