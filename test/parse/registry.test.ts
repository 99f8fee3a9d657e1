import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TextFormat } from '../../parse/format.js';
import { auto, formatByName, formatHelp, formatNames, isFormatName, sniffOrder, textFormats } from '../../parse/registry.js';

describe('format registry', () => {
  it('holds every TextFormat exported from parse/formats, once, by its name', async () => {
    const dir = new URL('../../parse/formats/', import.meta.url);
    const exported: TextFormat[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const mod = await import(new URL(file, dir).href);
      for (const v of Object.values(mod)) {
        if (v && typeof v === 'object' && typeof (v as TextFormat).create === 'function' && typeof (v as TextFormat).sniff === 'function') exported.push(v as TextFormat);
      }
    }
    expect(exported.length).toBeGreaterThanOrEqual(17);
    expect([...textFormats.keys()].sort()).toEqual(exported.map((f) => f.name).sort());
    for (const f of exported) expect(textFormats.get(f.name)).toBe(f);
    expect(sniffOrder.length).toBe(textFormats.size);
  });

  it('finds formats by name, auto included', () => {
    expect(formatByName('kea-csv').name).toBe('kea-csv');
    expect(formatByName('6wind').kind).toBe('nat');
    expect(formatByName('auto')).toBe(auto);
  });

  it('names the valid formats when the name is unknown', () => {
    expect(() => formatByName('juniper')).toThrow(/^unknown format "juniper"; valid formats: 6wind, a10, .*juniper-pba, .*vpp, isc-dhcpd, kea-csv, .*radius-detail, canonical, auto, ipfix$/);
  });

  it('lists ipfix for help but explains it is read as pcap, not lines', () => {
    expect(formatNames).toContain('ipfix');
    expect(formatNames).toContain('auto');
    expect(formatHelp.find((h) => h.name === 'ipfix')).toMatchObject({ kind: 'binary' });
    expect(isFormatName('ipfix')).toBe(true);
    expect(isFormatName('nope')).toBe(false);
    expect(() => formatByName('ipfix')).toThrow(/binary.*pcap/);
    for (const h of formatHelp) expect(h.summary.length).toBeGreaterThan(10);
  });
});
