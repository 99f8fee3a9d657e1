import { mapFormat } from './map-rule.js';

/**
 * MAP-T (RFC 7599): the CE translates rather than encapsulates, but maps addresses and ports by
 * the same Basic Mapping Rules as MAP-E (RFC 7599 §5 points to RFC 7597 §5), so the formula is
 * map-rule.ts's; the name keeps which technique a configuration version came from.
 */
export const mapT = mapFormat('map-t');
