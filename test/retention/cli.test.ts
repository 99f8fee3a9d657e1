import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditPage } from '../../audit/read.js';
import { holdCreate, holdLift, holdList, purgeCommand } from '../../cli/retention.js';
import { HoldStore } from '../../retention/holds.js';
import { dumpNat } from '../../timeindex/dump.js';
import { alloc, release, store } from './helpers.js';
import { runCommand } from '../helpers/cli-output.js';

type Store = Awaited<ReturnType<typeof store>>;
let s: Store;

const run = runCommand;

beforeAll(async () => {
  s = await store();
  vi.stubEnv('REDIS_URL', s.url);
  // the CLI's cutoff is now − WHOHAD_RETENTION_DAYS; these are two years old
  const old = Date.now() - 730 * 86_400_000;
  await s.write([alloc('198.51.100.40', '100.64.4.1', old), release('198.51.100.40', '100.64.4.1', old + 3_600_000)]);
});

afterEach(() => vi.restoreAllMocks());

describe('whohad purge and whohad hold', () => {
  it('purge --dry-run says what would go and removes nothing', async () => {
    const r = await run(() => purgeCommand({ dryRun: true }));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^would remove 1 records that ended before /);
    expect([...(await dumpNat(s.redis, '198.51.100.40')).values()].flat()).toHaveLength(1);
    expect((await auditPage(s.redis, { limit: 10 })).records).toEqual([]);
  });

  it('hold create, list and lift, each recorded', async () => {
    const from = new Date(Date.now() - 800 * 86_400_000).toISOString();
    const to = new Date().toISOString();
    const made = await run(() => holdCreate({ case: 'C-CLI', subscriber: [], ip: ['198.51.100.40'], from, to, reason: 'test' }));
    expect(made.code).toBe(0);
    const id = made.out.trim();
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect((await run(() => holdList({}))).out).toMatch(new RegExp(`^${id}  ACTIVE .*case C-CLI .*ip 198\\.51\\.100\\.40`));

    const kept = await run(() => purgeCommand({}));
    expect(kept.out).toMatch(/^removed 0 records/);
    expect(kept.out).toMatch(/kept: 1 by legal holds \(1 applied/);

    expect((await run(() => holdLift(id, { reason: 'done' }))).code).toBe(0);
    const twice = await run(() => holdLift(id, {}));
    expect(twice.code).toBe(1);
    expect(twice.err).toMatch(/was lifted at/);
    expect((await run(() => holdList({}))).out).toBe('');
    expect((await run(() => holdList({ all: true }))).out).toMatch(/lifted/);
    expect(await new HoldStore(s.redis).active()).toEqual([]);

    expect((await run(() => purgeCommand({}))).out).toMatch(/^removed 1 records/);
    const log = (await auditPage(s.redis, { limit: 10 })).records.map((r) => [r.kind, r.route ?? null]).reverse();
    expect(log).toEqual([['hold', 'whohad hold create'], ['hold', 'whohad hold lift'], ['purge', null]]);
  });
});
