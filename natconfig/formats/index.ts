import type { NatConfigFormat } from '../format.js';
import { mapE } from './map-e.js';
import { mapT } from './map-t.js';
import { table } from './table.js';
import { unpublishedFormats } from './unpublished.js';
import { vppDet44 } from './vpp-det44.js';

/** Every configuration format whohad computes, by the name given to `--format`. */
export const natConfigFormats: NatConfigFormat[] = [vppDet44, mapE, mapT, table] as NatConfigFormat[];

export { unpublishedFormats };
