import { describe, expect, it } from 'vitest';
import { isoMs, MAX_INSTANT } from '../../core/time.js';

const iso = (ms: number) => new Date(ms).toISOString();

describe('isoMs', () => {
  it('writes what Date#toISOString writes, on the edges of the range, months and leap days', () => {
    const edges = [
      0, 1, 999, 1000, 59_999, 3_599_999, 86_399_999, 86_400_000, MAX_INSTANT,
      Date.UTC(1972, 1, 29, 12), Date.UTC(2000, 1, 29, 23, 59, 59, 999), Date.UTC(2000, 2, 1), Date.UTC(2100, 1, 28, 23, 59, 59, 999),
      Date.UTC(2100, 2, 1), Date.UTC(2026, 9, 25, 0, 59, 59, 999), Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2400, 1, 29),
    ];
    for (const ms of edges) expect(isoMs(ms), String(ms)).toBe(iso(ms));
  });

  it('writes what Date#toISOString writes at every midnight from 1970 to 9999, and just before it', () => {
    const wrong: number[] = [];
    for (let ms = 86_400_000; ms <= MAX_INSTANT; ms += 86_400_000) {
      if (isoMs(ms) !== iso(ms) || isoMs(ms - 1) !== iso(ms - 1)) wrong.push(ms);
    }
    expect(wrong).toEqual([]);
  });

  it('writes what Date#toISOString writes at random instants', () => {
    let seed = 7;
    const wrong: number[] = [];
    for (let i = 0; i < 200_000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      const ms = Math.floor((seed / 2 ** 31) * MAX_INSTANT);
      if (isoMs(ms) !== iso(ms)) wrong.push(ms);
    }
    expect(wrong).toEqual([]);
  });

  it('leaves instants outside 1970-9999 and fractions of a millisecond to Date#toISOString', () => {
    for (const ms of [-1, -86_400_001, MAX_INSTANT + 1, 1.5]) expect(isoMs(ms)).toBe(iso(ms));
  });
});
