import { describe, expect, it } from 'vitest';
import { natConfigFormat, natConfigFormats, unpublishedFormats } from '../../../natconfig/formats/index.js';

describe('the configuration formats', () => {
  it('are listed once each under the names --format takes', () => {
    expect(natConfigFormats.map((f) => f.name)).toEqual(['vpp-det44', 'map-e', 'map-t', 'table']);
  });

  it('a format is found by its name', () => {
    expect(natConfigFormat('map-t')).toEqual({ format: natConfigFormats[2] });
  });

  it('a vendor whose formula is not public is refused with the reason and the way round it', () => {
    for (const name of ['a10-fixed-nat', 'juniper-deterministic', 'nokia-deterministic']) {
      const found = natConfigFormat(name);
      expect(found).toEqual({ error: unpublishedFormats[name] });
      expect('error' in found && found.error).toMatch(/not published in full.*--format table/);
    }
  });

  it('an unknown name is refused with the list of formats', () => {
    expect(natConfigFormat('cisco')).toEqual({ error: 'unknown format "cisco"; the formats are vpp-det44, map-e, map-t, table' });
    expect(natConfigFormat('toString')).toMatchObject({ error: expect.stringMatching(/unknown format/) });
  });
});
