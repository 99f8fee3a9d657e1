import { ipv6Prefix } from '../core/ip.js';
import type { LeaseEvent } from '../events/schema.js';
import { BOUNDS_SUFFIX } from './format.js';

/**
 * Key names of the time index (docs/time-index.md; the stored numbers are in format.ts). Everything that builds a
 * key lives here, so the layout has one definition.
 */

/** The chain id of a block: NAT instance, ports (`*` first port for address-only NAT) and protocol. */
export function chainId(natInstance: string, portStart: number | null, portEnd: number | null, protocol: number | null): string {
  const ports = portStart === null ? '*|65535' : `${portStart}|${portEnd}`;
  return `${natInstance}|${ports}|${protocol ?? '*'}`;
}

export interface ChainIdentity {
  natInstance: string;
  portStart: number | null;
  portEnd: number | null;
  protocol: number | null;
}

export function parseChainId(cid: string): ChainIdentity {
  const parts = cid.split('|');
  const protocol = parts.pop()!;
  const portEnd = parts.pop()!;
  const portStart = parts.pop()!;
  const addressOnly = portStart === '*';
  return {
    natInstance: parts.join('|'),
    portStart: addressOnly ? null : Number(portStart),
    portEnd: addressOnly ? null : Number(portEnd),
    protocol: protocol === '*' ? null : Number(protocol),
  };
}

export const natKeys = {
  registry: (publicIp: string) => `r:{${publicIp}}`,
  meta: (publicIp: string) => `m:{${publicIp}}`,
  ipPrefix: (publicIp: string) => `a:{${publicIp}}:`,
  chainPrefix: (publicIp: string, cid: string) => `a:{${publicIp}}:${cid}:`,
};

export const leaseKeys = {
  meta: (vrf: string, ip: string) => `lm:{${vrf}|${ip}}`,
  chainPrefix: (vrf: string, ip: string) => `l:{${vrf}|${ip}}:`,
  /** Ends the source stated without their time (a Kea deletion row), scored by the last known activity. */
  bounds: (vrf: string, ip: string) => `l:{${vrf}|${ip}}:${BOUNDS_SUFFIX}`,
};

export const DICTIONARY_KEY = '{whohad}:dict';

/** The lengths of the delegated IPv6 prefixes the index holds lease chains for. */
export const PREFIX_LENGTHS_KEY = '{whohad}:prefix-lengths';

/**
 * The address a lease's chain is keyed by: its own, or for a delegated IPv6 prefix
 * (identifiers.prefix naming the prefix whose network address is `ip`) the prefix text, so
 * that holding 2001:db8:1200::/56 is not mistaken for holding the one address 2001:db8:1200::.
 */
export function leaseAddress(e: LeaseEvent): { ip: string; prefixLength: number | null } {
  const text = e.identifiers.prefix;
  if (!text) return { ip: e.ip, prefixLength: null };
  const p = ipv6Prefix(text);
  if (typeof p === 'string' || p.ip !== e.ip || p.length === 128) return { ip: e.ip, prefixLength: null };
  return { ip: p.prefix, prefixLength: p.length };
}
