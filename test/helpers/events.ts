import type { LeaseEvent, NatEvent } from '../../events/schema.js';

/** Minutes after 2026-10-25T00:00Z, the day the tests mostly live in. */
export const T0 = Date.UTC(2026, 9, 25);
export const min = (m: number) => T0 + m * 60_000;

export function nat(event: NatEvent['event'], atMin: number, privateIp: string, over: Partial<NatEvent> = {}): NatEvent {
  return {
    kind: 'nat', event, at: min(atMin), natInstance: 'cgn1', publicIp: '198.51.100.7', portStart: 1024, portEnd: 1535,
    privateIp, privateVrf: 'default', protocol: null, allocatedAt: null, source: 'canonical', ...over,
  };
}

export function lease(event: LeaseEvent['event'], atMin: number, ip: string, subscriberId: string, expiresMin: number | null = null, over: Partial<LeaseEvent> = {}): LeaseEvent {
  return {
    kind: 'lease', event, at: min(atMin), ip, vrf: 'default', subscriberId,
    expiresAt: expiresMin === null ? null : min(expiresMin), identifiers: {}, source: 'canonical', ...over,
  };
}

/**
 * One small ISP, 2026-10-25 (the night Copenhagen leaves summer time), in wire form:
 * 198.51.100.7 block 1024-1535 held by 100.64.0.1 (sub-A) until 01:00, then 100.64.0.2 (sub-B
 * until 01:30, then sub-C); block 1536-2047 by 100.64.0.3 (no lease known); 198.51.100.8 is a
 * public address leased to sub-D directly.
 */
export const SMALL_ISP = [
  { kind: 'nat', event: 'alloc', at: '2026-10-25T00:00:00Z', natInstance: 'cgn1', publicIp: '198.51.100.7', portStart: 1024, portEnd: 1535, privateIp: '100.64.0.1' },
  { kind: 'nat', event: 'release', at: '2026-10-25T01:00:00Z', natInstance: 'cgn1', publicIp: '198.51.100.7', portStart: 1024, portEnd: 1535, privateIp: '100.64.0.1' },
  { kind: 'nat', event: 'alloc', at: '2026-10-25T01:00:00Z', natInstance: 'cgn1', publicIp: '198.51.100.7', portStart: 1024, portEnd: 1535, privateIp: '100.64.0.2' },
  { kind: 'nat', event: 'alloc', at: '2026-10-25T00:00:00Z', natInstance: 'cgn1', publicIp: '198.51.100.7', portStart: 1536, portEnd: 2047, privateIp: '100.64.0.3' },
  { kind: 'lease', event: 'start', at: '2026-10-24T20:00:00Z', ip: '100.64.0.1', subscriberId: 'sub-A', expiresAt: '2026-10-26T00:00:00Z' },
  { kind: 'lease', event: 'start', at: '2026-10-24T20:00:00Z', ip: '100.64.0.2', subscriberId: 'sub-B', expiresAt: '2026-10-25T01:30:00Z' },
  { kind: 'lease', event: 'start', at: '2026-10-25T01:30:00Z', ip: '100.64.0.2', subscriberId: 'sub-C', expiresAt: '2026-10-26T00:00:00Z' },
  { kind: 'lease', event: 'start', at: '2026-10-24T20:00:00Z', ip: '198.51.100.8', subscriberId: 'sub-D', source: 'radius-detail' },
];
