import { describe, expect, it } from 'vitest';
import { purgeAttribution } from '../../retention/purge.js';
import { leaseKeys } from '../../timeindex/keys.js';
import { at, CUTOFF, DAY, leaseStart, store } from './helpers.js';

describe('purging a lease chain with bounded ends', () => {
  it('removes a bounded end with its holding and keeps the one of a holding that stays', async () => {
    const s = await store();
    const ended = (start: number, t: number) => ({ ...leaseStart('100.64.0.20', 'sub-E', start, null), event: 'end' as const, at: t, endTimeUnknown: true as const });
    await s.write([
      leaseStart('100.64.0.20', 'sub-E', at(0, 0), at(0, 3)), ended(at(0, 0), at(0, 1)),
      leaseStart('100.64.0.20', 'sub-E', CUTOFF + DAY, CUTOFF + 2 * DAY), ended(CUTOFF + DAY, CUTOFF + DAY + 3_600_000),
    ]);
    const key = leaseKeys.bounds('default', '100.64.0.20');
    expect(await s.redis.zrange(key, "0", "-1", 'WITHSCORES')).toEqual([`${at(0, 1)}|sub-E`, String(at(0, 1)), `${CUTOFF + DAY + 3_600_000}|sub-E`, String(CUTOFF + DAY + 3_600_000)]);
    await purgeAttribution({ redis: s.redis, cutoffMs: CUTOFF, holds: s.holds, dryRun: false, log: s.log });
    expect(await s.redis.zrange(key, "0", "-1")).toEqual([`${CUTOFF + DAY + 3_600_000}|sub-E`]);
  });
});
