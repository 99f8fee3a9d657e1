import { describe, expect, it } from 'vitest';
import { natConfigFormats, unpublishedFormats } from '../../../natconfig/formats/index.js';
import { installedFormats } from '../../../natconfig/installed.js';
import { NatConfigRegistry } from '../../../natconfig/registry.js';

const registry = new NatConfigRegistry(installedFormats);

describe('the configuration formats', () => {
  it('are listed once each under the names --format takes, and installed', () => {
    expect(natConfigFormats.map((f) => f.name)).toEqual(['vpp-det44', 'map-e', 'map-t', 'table']);
    expect(registry.names()).toEqual(['map-e', 'map-t', 'table', 'vpp-det44']);
  });

  it('a format is found by its name', () => {
    expect(registry.get('map-t')).toBe(natConfigFormats[2]);
  });

  it('a vendor whose formula is not public is refused with the reason and the way round it', () => {
    for (const name of ['a10-fixed-nat', 'juniper-deterministic', 'nokia-deterministic']) {
      expect(() => registry.get(name)).toThrow(unpublishedFormats[name]);
      expect(() => registry.get(name)).toThrow(/not published in full.*--format table/);
    }
  });

  it('an unknown name is refused with the list of formats', () => {
    expect(() => registry.get('cisco')).toThrow('"cisco" is not a NAT configuration format this installation knows (known: map-e, map-t, table, vpp-det44)');
    expect(() => registry.get('toString')).toThrow(/is not a NAT configuration format/);
  });
});
