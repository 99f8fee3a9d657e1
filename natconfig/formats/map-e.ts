import { mapFormat } from './map-rule.js';

/**
 * MAP-E (RFC 7597): the CE encapsulates IPv4 in IPv6; its public IPv4 address and port set follow
 * from its end-user IPv6 prefix by the Basic Mapping Rule (map-rule.ts). Reverse gives the
 * end-user prefix, against which the lease hop finds the subscriber's delegated prefix.
 */
export const mapE = mapFormat('map-e');
