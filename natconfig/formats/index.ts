import type { NatConfigFormat } from '../format.js';
import { mapE } from './map-e.js';
import { mapT } from './map-t.js';
import { table } from './table.js';
import { unpublishedFormats } from './unpublished.js';
import { vppDet44 } from './vpp-det44.js';

/** Every configuration format whohad computes, by the name given to `--format`. */
export const natConfigFormats: NatConfigFormat[] = [vppDet44, mapE, mapT, table] as NatConfigFormat[];

export { unpublishedFormats };

/**
 * The format of a name, or why there is none: a vendor whose formula is not public gets the
 * reason and the way round it (`table`), any other name the list of formats.
 */
export function natConfigFormat(name: string): { format: NatConfigFormat } | { error: string } {
  const format = natConfigFormats.find((f) => f.name === name);
  if (format) return { format };
  const why = Object.hasOwn(unpublishedFormats, name) ? unpublishedFormats[name] : null;
  return { error: why ?? `unknown format ${JSON.stringify(name)}; the formats are ${natConfigFormats.map((f) => f.name).join(', ')}` };
}
