/**
 * What asking the NAT configuration history costs a look-up: `versionsAt(ip, instant)` over a
 * history of many versions, beside a bare Redis GET round trip measured in the same run (the
 * one round trip versionsAt makes to learn whether its copy is current). Also the time to enter
 * a version into a history that size. Starts its own throw-away redis-server.
 *
 * Usage: npx tsx loadtest/natconfig-versions.ts [versions=1000] [calls=20000]
 * As a module: `natConfigVersionsBench({ versions, calls })` returns the bench table's rows.
 */
import type { BenchRow } from './harness.js';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { defineCommands } from '../commands.js';
import { u32ToIpv4 } from '../core/ip.js';
import type { NatConfigFormat } from '../natconfig/format.js';
import { NatConfigRegistry } from '../natconfig/registry.js';
import { natConfigKeys, NatConfigVersions } from '../natconfig/versions.js';
import { startRedisServer } from '../redis/embedded.js';

export type Row = BenchRow;

/** A stand-in format: each line `PUBLIC` claims one address; the formula is not what is measured. */
const perAddress: NatConfigFormat<string[]> = {
  name: 'bench-lines',
  parse: (text) => ({ ok: true, rules: text.split('\n').filter(Boolean) }),
  forward: () => null,
  reverse: (rules, ip, port) => (rules.includes(ip) ? { inside: '100.64.0.1', publicIp: ip, ports: [{ start: port, end: port }], formula: 'bench' } : null),
  claims: (rules) => rules.map((ip) => ({ first: ip, last: ip })),
};

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const INSTANCES = 100;

export async function natConfigVersionsBench(o: { versions?: number; calls?: number } = {}): Promise<Row[]> {
  const versions = o.versions ?? 1000;
  const calls = o.calls ?? 20_000;
  const perInstance = Math.max(1, Math.floor(versions / INSTANCES));
  const dir = `/tmp/whohad-natconfig-bench-${process.pid}`;
  const server = await startRedisServer({ dir, appendonly: false });
  const redis = new Redis(server.url);
  defineCommands(redis);
  try {
    const store = new NatConfigVersions(redis, new NatConfigRegistry([perAddress]));
    const who = { user: 'bench', record: async () => undefined };
    // each instance: a pool of 64 addresses, renumbered daily by a version that supersedes the last
    const enterStart = performance.now();
    for (let i = 0; i < INSTANCES; i++) {
      let prev: string | null = null;
      for (let v = 0; v < perInstance; v++) {
        const base = 0xc6336400 + i * 64; // 198.51.100.0 onwards
        const text = Array.from({ length: 64 }, (_, k) => u32ToIpv4(base + ((k + v) % 64))).join('\n');
        const entered = await store.enter({ instance: `cgnat-${i}`, format: 'bench-lines', text, validFrom: new Date(T0 + v * DAY).toISOString(), supersedes: prev }, who);
        prev = entered.id;
      }
    }
    const entered = INSTANCES * perInstance;
    const enterMs = (performance.now() - enterStart) / entered;

    // a fresh reader, as a service process that did not enter them: its first call loads the history
    const reader = new NatConfigVersions(redis, new NatConfigRegistry([perAddress]));
    const loadStart = performance.now();
    await reader.versionsAt('198.51.100.1', T0);
    const loadMs = performance.now() - loadStart;

    const ask = (n: number) => ({ ip: u32ToIpv4(0xc6336400 + (n % (INSTANCES * 64))), at: T0 + ((n * 7919) % (perInstance * DAY)) });
    // alternated call by call and compared by median, so a busy machine slows both alike
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
    const getUs: number[] = [];
    const atUs: number[] = [];
    let found = 0;
    for (let n = -500; n < calls; n++) {
      const q = ask(n + 500);
      const t0 = performance.now();
      await redis.get(natConfigKeys.gen);
      const t1 = performance.now();
      found += (await reader.versionsAt(q.ip, q.at)).length;
      const t2 = performance.now();
      if (n >= 0) {
        getUs.push((t1 - t0) * 1000);
        atUs.push((t2 - t1) * 1000);
      }
    }
    const bare = median(getUs);
    const at = median(atUs);
    const ratio = at / bare;
    return [
      { figure: `natconfig versionsAt over ${entered} versions`, value: Math.round(at * 10) / 10, unit: 'µs/call (median)', target: '<= 1.5x a bare GET round trip', ok: ratio <= 1.5, note: `${ratio.toFixed(2)}x a GET (${bare.toFixed(1)} µs median, alternated call by call); ${found} of ${calls + 500} calls found a version` },
      { figure: `natconfig first read of ${entered} versions`, value: Math.round(loadMs), unit: 'ms', target: '', ok: null, note: 'once per process, then once per change' },
      { figure: `natconfig entry into ${entered} versions`, value: Math.round(enterMs * 100) / 100, unit: 'ms/version', target: '', ok: null },
    ];
  } finally {
    redis.disconnect();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = await natConfigVersionsBench({ versions: Number(process.argv[2] ?? 1000), calls: Number(process.argv[3] ?? 20_000) });
  for (const r of rows) process.stdout.write(`${r.figure}: ${r.value} ${r.unit}${r.target ? ` (target ${r.target}: ${r.ok ? 'met' : 'NOT met'})` : ''}${r.note ? `  ${r.note}` : ''}\n`);
}
