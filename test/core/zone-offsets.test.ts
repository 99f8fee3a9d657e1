import fc from 'fast-check';
import { IANAZone } from 'luxon';
import { describe, expect, it } from 'vitest';
import { isoInZone, wallTimeToInstants, zoneOffset, type WallTime, type ZonedResult } from '../../core/zoned.js';

/** Zones with every kind of change: DST both ways, half-hour DST, odd offsets, negative DST, big jumps. */
const ZONES = [
  'Europe/Copenhagen', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/St_Johns',
  'Europe/Dublin', 'Pacific/Chatham', 'Africa/Casablanca', 'Antarctica/Troll', 'Pacific/Apia', 'Europe/Amsterdam', 'UTC',
];
const HOUR = 3_600_000;

/** The conversion as it was before the cache: luxon asked for every offset. */
function reference(t: WallTime, zoneName: string): ZonedResult {
  const zone = IANAZone.create(zoneName);
  const asUtc = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second, t.millisecond);
  const found = new Set<number>();
  for (const probe of [asUtc - 12 * HOUR, asUtc + 12 * HOUR]) {
    const offsetMin = zone.offset(probe);
    const candidate = asUtc - offsetMin * 60_000;
    if (zone.offset(candidate) === offsetMin) found.add(candidate);
  }
  if (found.size === 0) return { kind: 'skipped' };
  return { kind: 'instants', instants: [...found].sort((a, b) => a - b) };
}

const wall = (ms: number): WallTime => {
  const d = new Date(ms);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), millisecond: d.getUTCMilliseconds() };
};

/** Instants three minutes apart within two hours of each offset change of a zone in the years given. */
function aroundChanges(zoneName: string, fromYear: number, toYear: number): number[] {
  const zone = IANAZone.create(zoneName);
  const out: number[] = [];
  for (let h = Date.UTC(fromYear, 0, 1) / HOUR; h < Date.UTC(toYear, 0, 1) / HOUR; h++) {
    if (zone.offset(h * HOUR) === zone.offset(h * HOUR + HOUR)) continue;
    for (let m = -90; m <= 150; m += 3) out.push(h * HOUR + m * 60_000 + (m % 7) * 1000);
  }
  return out;
}

describe('zone offsets kept per zone and hour', () => {
  it('are luxon\'s at every few minutes around every change of 2026-2027, and the local times read there too', { timeout: 120_000 }, () => {
    for (const name of ZONES) {
      const zone = IANAZone.create(name);
      const instants = aroundChanges(name, 2026, 2028);
      if (!['UTC', 'Asia/Kolkata', 'Asia/Kathmandu', 'Pacific/Apia'].includes(name)) expect(instants.length).toBeGreaterThan(0);
      for (const ms of instants) {
        expect(zoneOffset(zone, ms)).toBe(zone.offset(ms));
        // the same wall clock read back, in the repeated and in the skipped hours
        const t = wall(ms);
        expect(wallTimeToInstants(t, name)).toEqual(reference(t, name));
      }
    }
  });

  it('are luxon\'s for any instant and any local time from 1850 to 2100', { timeout: 120_000 }, () => {
    const lo = Date.UTC(1850, 0, 1);
    const hi = Date.UTC(2100, 0, 1);
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), fc.integer({ min: lo, max: hi }), (name, ms) => {
        const zone = IANAZone.create(name);
        expect(zoneOffset(zone, ms)).toBe(zone.offset(ms));
        expect(wallTimeToInstants(wall(ms), name)).toEqual(reference(wall(ms), name));
      }),
      { numRuns: 20_000 },
    );
  });

  it('read the repeated hour as two instants and the skipped hour as none, in Copenhagen', () => {
    const repeated = wallTimeToInstants({ year: 2026, month: 10, day: 25, hour: 2, minute: 30, second: 0, millisecond: 0 }, 'Europe/Copenhagen');
    expect(repeated).toEqual({ kind: 'instants', instants: [Date.UTC(2026, 9, 25, 0, 30), Date.UTC(2026, 9, 25, 1, 30)] });
    expect(wallTimeToInstants({ year: 2026, month: 3, day: 29, hour: 2, minute: 30, second: 0, millisecond: 0 }, 'Europe/Copenhagen')).toEqual({ kind: 'skipped' });
    expect(isoInZone(Date.UTC(2026, 9, 25, 0, 59, 59, 999), 'Europe/Copenhagen')).toBe('2026-10-25T02:59:59.999+02:00');
    expect(isoInZone(Date.UTC(2026, 9, 25, 1), 'Europe/Copenhagen')).toBe('2026-10-25T02:00:00.000+01:00');
  });
});
