import type { SourceOptions } from '../schemas/source-config.js';

/**
 * The VRF name the index uses for one a device writes. Devices name VRFs their own way (NFWare
 * writes `VRF 0` for what the DHCP server's leases call `default`), and a lease is found only
 * under the name its allocation was stored with, so every format maps through this one place:
 * a name the source's `vrfMap` lists becomes the index's name; a record that names no VRF gets
 * the source's `vrf`, itself mapped. A name the map does not list is kept as written: the
 * answer that finds no lease for it shows the VRF it looked in.
 */
export function vrfNamer(options: Pick<SourceOptions, 'vrf' | 'vrfMap'>): (written: string | null) => string {
  const map = options.vrfMap ?? {};
  const mapped = (name: string) => (Object.hasOwn(map, name) ? map[name] : name);
  const fallback = mapped(options.vrf ?? 'default');
  return (written) => (written === null ? fallback : mapped(written));
}
