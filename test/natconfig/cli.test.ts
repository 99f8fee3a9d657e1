import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditPage } from '../../audit/read.js';
import { natconfigForward, natconfigImport, natconfigList, natconfigReverse, natconfigShow } from '../../cli/natconfig.js';
import { runCommand as run } from '../helpers/cli-output.js';
import { testRedis } from '../helpers/redis.js';
import { tempDir, whohad } from '../cli/run.js';
import { CONFIG_A, CONFIG_B, lineFormat } from './fixture-format.js';

const F = [lineFormat];
const MORNING = '2026-11-02T00:00:00Z';
const NOON = '2026-11-02T12:00:00Z';

let url: string;
let redis: Awaited<ReturnType<typeof testRedis>>['redis'];
let dir: string;
const file = (name: string, text: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const opts = (o: Record<string, string> = {}) => ({ format: 'test-lines', instance: 'cgnat-1', validFrom: MORNING, ...o });

beforeAll(async () => {
  ({ url, redis } = await testRedis());
  dir = tempDir('whohad-natconfig-cli-');
  vi.stubEnv('REDIS_URL', url);
  vi.stubEnv('WHOHAD_DATA_DIR', join(dir, 'data'));
});

afterEach(() => vi.restoreAllMocks());

describe('whohad natconfig', () => {
  let a: string;
  let b: string;

  it('import prints the new id, says what was entered, and records it in the access log', async () => {
    const r = await run(() => natconfigImport(file('cgnat-1.conf', CONFIG_A), opts(), F));
    expect(r.code).toBe(0);
    a = r.out.trim();
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(r.err).toMatch(new RegExp(`entered: ${a}  cgnat-1 v1  test-lines  2026-11-02T00:00:00.000Z \\.\\. open  198\\.51\\.100\\.1,198\\.51\\.100\\.2  \\(by cli:\\S+ \\S+, from cgnat-1\\.conf\\)`));
    const [rec] = (await auditPage(redis, { limit: 5 })).records;
    expect(rec).toMatchObject({ kind: 'natconfig', route: 'whohad natconfig import', user: expect.stringMatching(/^cli/), details: { action: 'import', id: a, origin: 'cgnat-1.conf' } });
  });

  it('import refuses an overlapping version naming it (exit 1), and takes a correction that supersedes it', async () => {
    const clash = await run(() => natconfigImport(file('renumbered.conf', CONFIG_B), opts({ validFrom: NOON }), F));
    expect(clash.code).toBe(1);
    expect(clash.out).toBe('');
    expect(clash.err.trimEnd().split('\n').at(-1)).toMatch(new RegExp(`^whohad natconfig: overlaps version 1 of cgnat-1 \\(id ${a},.*supersedes ${a}`));
    const ok = await run(() => natconfigImport(join(dir, 'renumbered.conf'), opts({ validFrom: NOON, supersedes: a, origin: 'device cgnat-1' }), F));
    expect(ok.code).toBe(0);
    b = ok.out.trim();
  });

  it('list shows the history, by instance and instant; show prints one version whole', async () => {
    const all = await run(() => natconfigList({}, F));
    expect(all.out.split('\n').filter(Boolean).map((l) => l.slice(0, 16))).toEqual([a, b]);
    expect(all.out).toContain(`${a}  cgnat-1 v1  test-lines  2026-11-02T00:00:00.000Z .. 2026-11-02T12:00:00.000Z`);
    expect(all.out).toContain(`superseded by ${b} (v2) at 2026-11-02T12:00:00.000Z`);
    expect(all.out).toContain(`${b}  cgnat-1 v2  test-lines  2026-11-02T12:00:00.000Z .. open  198.51.100.1  supersedes ${a}`);
    expect((await run(() => natconfigList({ at: '2026-11-02T12:59:59+01:00' }, F))).out.slice(0, 16)).toBe(a);
    expect((await run(() => natconfigList({ at: '2026-11-02T13:00:00+01:00' }, F))).out.slice(0, 16)).toBe(b);
    const none = await run(() => natconfigList({ instance: 'cgnat-2' }, F));
    expect([none.code, none.out, none.err.split('\n').at(-2)]).toEqual([0, '', 'no configuration versions match']);
    const shown = await run(() => natconfigShow(b, F));
    expect(JSON.parse(shown.out)).toMatchObject({ id: b, version: 2, text: CONFIG_B, supersedes: a, origin: 'device cgnat-1', rules: [{ inside: '100.64.0.1', start: 4096 }, expect.anything()] });
  });

  it('forward and reverse print the mapping and the version used, each recorded', async () => {
    const fwd = await run(() => natconfigForward({ instance: 'cgnat-1', inside: '100.64.0.2', at: '2026-11-02T06:00:00Z' }, F));
    expect(fwd.code).toBe(0);
    expect(fwd.out).toBe(`198.51.100.1 ports 2048-3071  (instance cgnat-1 version 1, id ${a}, in force 2026-11-02T00:00:00.000Z .. 2026-11-02T12:00:00.000Z; table row 100.64.0.2 -> 198.51.100.1:2048-3071)\n`);
    const rev = await run(() => natconfigReverse({ ip: '198.51.100.1', port: '5200', at: NOON }, F));
    expect(rev.code).toBe(0);
    expect(rev.out).toBe(`100.64.0.2  (ports 5120-6143; instance cgnat-1 version 2, id ${b}, in force 2026-11-02T12:00:00.000Z .. open; table row 100.64.0.2 -> 198.51.100.1:5120-6143)\n`);
    const noHost = await run(() => natconfigReverse({ ip: '198.51.100.1', port: '1500', at: NOON }, F));
    expect([noHost.code, noHost.out]).toEqual([1, '']);
    expect(noHost.err).toContain(`198.51.100.1 port 1500: belongs to no host (instance cgnat-1 version 2, id ${b}`);
    const records = (await auditPage(redis, { limit: 3 })).records.reverse();
    expect(records.map((r) => [r.route, r.details?.action, r.details?.outcome])).toEqual([
      ['whohad natconfig forward', 'forward', 'answered'], ['whohad natconfig reverse', 'reverse', 'answered'], ['whohad natconfig reverse', 'reverse', 'answered'],
    ]);
  });

  it('reverse of an address two instances claim prints both and ends 1 as a conflict', async () => {
    const c = (await run(() => natconfigImport(file('other.conf', CONFIG_B), opts({ instance: 'cgnat-3', validFrom: '2026-11-02T15:00:00Z' }), F))).out.trim();
    const rev = await run(() => natconfigReverse({ ip: '198.51.100.1', port: '4100', at: '2026-11-02T16:00:00Z' }, F));
    expect(rev.code).toBe(1);
    expect(rev.out.split('\n').filter(Boolean).map((l) => /id ([0-9a-f]{16})/.exec(l)![1])).toEqual([b, c]);
    expect(rev.err).toMatch(/conflict: 2 versions claim 198\.51\.100\.1 at 2026-11-02T16:00:00\.000Z/);
  });

  it('ends every bad input with one line naming it and its exit code, entering nothing', async () => {
    const good = join(dir, 'cgnat-1.conf');
    mkdirSync(join(dir, 'a-dir'), { recursive: true });
    const cases: Array<[() => Promise<number>, number, RegExp]> = [
      [() => natconfigImport(join(dir, 'missing.conf'), opts({ instance: 'cgnat-9' }), F), 2, /missing\.conf: no such file or directory/],
      [() => natconfigImport(join(dir, 'a-dir'), opts({ instance: 'cgnat-9' }), F), 2, /a-dir: is a directory/],
      [() => natconfigImport(file('latin1.conf', Buffer.from([0x31, 0xe9, 0x0a])), opts({ instance: 'cgnat-9' }), F), 2, /latin1\.conf is not UTF-8 text/],
      [() => natconfigImport(file('bad.conf', 'oops\n'), opts({ instance: 'cgnat-9' }), F), 2, /text: the configuration text does not read as test-lines: line 1: /],
      [() => natconfigImport(file('empty.conf', ''), opts({ instance: 'cgnat-9' }), F), 2, /text: the configuration text is empty/],
      [() => natconfigImport(good, opts({ instance: 'cgnat-9', format: 'vpp' }), F), 2, /format: "vpp" is not a NAT configuration format this installation knows \(known: test-lines\)/],
      [() => natconfigImport(good, opts({ instance: 'cgnat-9', validFrom: '02/11/2026' }), F), 2, /validFrom: "02\/11\/2026" is not an ISO 8601 instant/],
      [() => natconfigImport(good, opts({ instance: 'cgnat-9', validTo: '2026-11-01T00:00:00Z' }), F), 2, /validTo: .* is not after validFrom/],
      [() => natconfigImport(good, opts({ instance: 'cgnat-9', supersedes: 'abc' }), F), 2, /supersedes: "abc" is not a version id/],
      [() => natconfigImport(good, opts({ instance: 'cgnat-9', supersedes: '0123456789abcdef' }), F), 1, /supersedes: no NAT configuration version "0123456789abcdef"/],
      [() => natconfigShow('0123456789abcdef', F), 1, /id: no NAT configuration version "0123456789abcdef"/],
      [() => natconfigShow('v1', F), 2, /id: "v1" is not a version id/],
      [() => natconfigList({ at: 'now' }, F), 2, /at: "now" is not an ISO 8601 instant/],
      [() => natconfigForward({ instance: 'cgnat-1', inside: '100.64.0.999', at: NOON }, F), 2, /inside: "100\.64\.0\.999" is not an IPv4 or IPv6 address/],
      [() => natconfigForward({ instance: 'cgnat-1', inside: '100.64.0.7', at: NOON }, F), 1, /inside: 100\.64\.0\.7 is inside no rule of instance cgnat-1/],
      [() => natconfigForward({ instance: 'cgnat-1', inside: '100.64.0.1', at: '2026-11-01T00:00:00Z' }, F), 1, /no version of instance cgnat-1 is in force at 2026-11-01T00:00:00\.000Z/],
      [() => natconfigReverse({ ip: '198.51.100.1', port: '65536', at: NOON }, F), 2, /port: "65536" is not a decimal port/],
      [() => natconfigReverse({ ip: '198.51.100.1', port: '1', at: '2026-11-02T12:00:00' }, F), 2, /at: "2026-11-02T12:00:00" is not an ISO 8601 instant with Z or an offset/],
      [() => natconfigReverse({ ip: '192.0.2.1', port: '1', at: NOON }, F), 1, /no NAT configuration version claims 192\.0\.2\.1/],
    ];
    for (const [fn, code, message] of cases) {
      const r = await run(fn);
      expect({ code: r.code, out: r.out, last: r.err.trimEnd().split('\n').at(-1) }).toMatchObject({ code, out: '', last: expect.stringMatching(new RegExp(`^whohad natconfig: .*${message.source}`)) });
    }
    expect((await run(() => natconfigList({ instance: 'cgnat-9' }, F))).out).toBe('');
  });

  it('runs as an operator runs it: registered in whohad, with the formats the build ships', async () => {
    // VPP's own documented example (det44_cli.c): 10.0.0.2 forwards to 1.1.1.0 ports 1054-1068
    writeFileSync(join(dir, 'det44.conf'), 'det44 add in 10.0.0.0/18 out 1.1.1.0/30\n');
    const env = { env: { REDIS_URL: url } };
    const r = await whohad(['natconfig', 'import', '--format', 'vpp-det44', '--instance', 'vpp-1', '--valid-from', MORNING, join(dir, 'det44.conf')], env);
    expect(r.code, r.stderr).toBe(0);
    const fwd = await whohad(['natconfig', 'forward', '--instance', 'vpp-1', '--inside', '10.0.0.2', '--at', '2026-11-02T12:00:00Z'], env);
    expect(fwd.code, fwd.stderr).toBe(0);
    expect(fwd.stdout).toMatch(/^1\.1\.1\.0 ports 1054-1068 /);
    const rev = await whohad(['natconfig', 'reverse', '--ip', '1.1.1.0', '--port', '1060', '--at', '2026-11-02T12:00:00Z'], env);
    expect(rev.code, rev.stderr).toBe(0);
    expect(rev.stdout).toMatch(/^10\.0\.0\.2 /);
    const vendor = await whohad(['natconfig', 'import', '--format', 'a10-fixed-nat', '--instance', 'a10-1', '--valid-from', MORNING, join(dir, 'det44.conf')], env);
    expect(vendor.code).toBe(2);
    expect(vendor.stderr).toMatch(/not published in full.*--format table/);
    const list = await whohad(['natconfig', 'list', '--instance', 'cgnat-1'], { env: { REDIS_URL: url } });
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n').filter(Boolean).map((l) => l.slice(0, 16))).toEqual([a, b]);
  });
});
