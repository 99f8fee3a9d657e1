import { describe, expect, it } from 'vitest';
import { autoFormat, isAutoParser } from '../../parse/auto.js';
import type { TextFormat } from '../../parse/format.js';
import { auto, autoWith, sniffOrder, textFormats } from '../../parse/registry.js';
import { feed, NOW } from '../intake/helpers.js';
import { SAMPLE_OPTIONS, SAMPLES } from '../intake/samples.js';

describe('auto format', () => {
  it('has a sample for every text format', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...textFormats.keys()].sort());
  });

  for (const [name, lines] of Object.entries(SAMPLES)) {
    it(`recognises ${name} from its own lines, and no other format claims them`, () => {
      for (const line of lines) {
        if (line.trim() === '') continue;
        const claim = sniffOrder.filter((f) => f.name !== name && f.sniff(line)).map((f) => f.name);
        expect(claim, line).toEqual([]);
      }
      let chosen: TextFormat | null | undefined;
      const fmt = autoWith((f) => (chosen = f));
      const viaAuto = feed(fmt, lines, SAMPLE_OPTIONS[name]);
      const direct = feed(textFormats.get(name)!, lines, SAMPLE_OPTIONS[name]);
      expect(chosen?.name).toBe(name);
      expect(viaAuto.rejects).toEqual([]);
      expect(viaAuto.events.length).toBeGreaterThan(0);
      expect(viaAuto).toEqual(direct);
    });
  }

  it('looks past leading lines no format claims, and replays them with their numbers', () => {
    const lines = ['', 'Mar  4 07:00:00 cgn syslogd: restart', ...SAMPLES['nfware'], ...SAMPLES['nfware']];
    const p = auto.create({}, { now: NOW });
    expect(isAutoParser(p) && p.chosen).toBe(undefined);
    const r = feed(auto, lines);
    expect(r.events.map((e) => e.line)).toEqual([3, 4]);
    expect(r.skips.map((s) => s.line)).toEqual([1, 2]);
  });

  it('rejects every non-blank line of a file nothing recognises, saying what it tried', () => {
    const lines = Array.from({ length: 30 }, (_, i) => (i === 5 ? '' : `hello ${i}`));
    const choices: (string | null)[] = [];
    const r = feed(autoWith((f) => choices.push(f?.name ?? null)), lines);
    expect(choices).toEqual([null]);
    expect(r.events).toEqual([]);
    expect(r.skips).toEqual([{ line: 6, reason: 'empty line' }]);
    expect(r.rejects.map((x) => x.line)).toEqual(lines.map((_, i) => i + 1).filter((n) => n !== 6));
    expect(r.rejects[0].reason).toMatch(/^auto: no format recognised the first 20 non-empty line\(s\) of this file \(tried canonical, kea-csv, .*nfware\); name the format$/);
  });

  it('decides at the end of a short file it cannot recognise', () => {
    const choices: unknown[] = [];
    const r = feed(autoWith((f) => choices.push(f)), ['one', 'two']);
    expect(choices).toEqual([null]);
    expect(r.rejects.map((x) => x.reason.slice(0, 52))).toEqual(Array(2).fill('auto: no format recognised the first 2 non-empty lin'));
  });

  it('tries the candidates in order and exposes the choice on the parser', () => {
    const a: TextFormat = { ...textFormats.get('nfware')!, name: 'first', sniff: (l) => l.includes('VRF') };
    const f = autoFormat({ candidates: [a, textFormats.get('nfware')!], sniffLines: 3 });
    const p = f.create({}, { now: NOW });
    p.line(SAMPLES['nfware'][0], 1, { event() {}, reject() {}, skip() {} });
    expect(isAutoParser(p) && p.chosen?.name).toBe('first');
  });
});
