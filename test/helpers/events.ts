import type { LeaseEvent, NatEvent } from '../../schemas/events.js';

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
