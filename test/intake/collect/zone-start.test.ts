import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { tempDir, whohad } from '../../cli/run.js';
import { testRedisUrl } from '../../helpers/redis.js';

/**
 * `whohad collect` as a real process: hosts no source matches are read by `auto` with only
 * `defaults`, so without `defaults.timezone` their zone-less times would have no zone. Such a
 * collector refuses to start, saying what to set, rather than reject those lines one by one.
 */

vi.setConfig({ testTimeout: 60_000 });

let dir: string;
let env: Record<string, string>;
beforeAll(async () => {
  dir = tempDir('whohad-collect-zone-');
  env = { REDIS_URL: await testRedisUrl(), WHOHAD_DATA_DIR: join(dir, 'data') };
});

const config = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
// every source here has its own zone: only the unconfigured hosts lack one
const SOURCES = 'sources:\n  - name: srx\n    format: juniper-pba\n    match: { host: "srx-*" }\n    options: { timezone: Europe/Copenhagen }\n';
const collect = (args: string[]) =>
  whohad(['collect', '--syslog', 'udp://127.0.0.1:0', '--rejects', join(dir, 'rejects.ndjson'), '--spool', join(dir, 'spool'), '--stats-every', '0', ...args], {
    env,
    stopWhen: /listening: syslog udp:\/\/127\.0\.0\.1:\d+/,
  });
const REFUSAL =
  "whohad: collect: hosts that match no configured source are read with auto and get only defaults, and defaults set no timezone: set defaults.timezone (the zone of those devices' clocks, or UTC), or refuse unconfigured hosts (--unmatched reject)";

describe('collect start with unconfigured hosts read by auto', () => {
  it('refuses to start when defaults give no zone: one line, exit 2, nothing listening', async () => {
    const r = await collect(['--config', config('no-defaults.yaml', SOURCES)]);
    expect(r.code).toBe(2);
    expect(r.stdout).not.toContain('listening');
    expect(r.stderr).toBe(`${REFUSAL}\n`);
  });

  it('without --config every host is unconfigured: refused the same way, saying so', async () => {
    const r = await collect([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${REFUSAL}; without --config every host is one of them\n`);
  });

  it('starts when defaults give a zone, or when unconfigured hosts are refused', async () => {
    const withZone = await collect(['--config', config('defaults.yaml', `defaults: { timezone: UTC }\n${SOURCES}`)]);
    expect(withZone.stdout).toMatch(/^listening: syslog udp:\/\/127\.0\.0\.1:\d+$/m);
    expect(withZone.code).toBe(0);
    const reject = await collect(['--config', config('reject.yaml', SOURCES), '--unmatched', 'reject']);
    expect(reject.stdout).toMatch(/^listening: syslog udp:\/\/127\.0\.0\.1:\d+$/m);
    expect(reject.code).toBe(0);
  });

  it('an IPFIX-only collector reads no syslog host with auto, and starts without a zone', async () => {
    const r = await whohad(['collect', '--ipfix', 'udp://127.0.0.1:0', '--rejects', join(dir, 'rejects.ndjson'), '--spool', join(dir, 'spool2'), '--stats-every', '0'], {
      env,
      stopWhen: /listening: ipfix udp:\/\/127\.0\.0\.1:\d+/,
    });
    expect(r.stdout).toMatch(/^listening: ipfix udp:\/\/127\.0\.0\.1:\d+$/m);
    expect(r.code).toBe(0);
  });
});
