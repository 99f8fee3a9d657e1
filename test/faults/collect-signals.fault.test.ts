import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliProcess } from '../helpers/cli-process.js';
import { tcpSender } from '../intake/collect/helpers.js';
import { FaultyRedis, tempDir, until } from './helpers.js';

/**
 * `whohad collect` as a real process: SIGHUP reopens the rejects file (logrotate without
 * copytruncate) and stops nothing; a crash (SIGKILL) with Redis away loses nothing that was
 * received, because the next start replays the spool; Redis going down and coming back is one
 * JSON line each, and no ioredis stack trace ever reaches the log.
 */

let redis: FaultyRedis;
beforeAll(async () => {
  redis = await FaultyRedis.start();
});
afterAll(async () => {
  await redis?.stop();
});

const at = new Date(Date.now() - 3_600_000).toISOString();
const lease = (i: number) => JSON.stringify({ kind: 'lease', event: 'start', at, ip: `100.66.${i >> 8}.${i & 255}`, subscriberId: `sub-${i}`, expiresAt: null });

function setup() {
  const dir = tempDir('whohad-collect-signals-');
  const config = join(dir, 'sources.yaml');
  writeFileSync(config, 'defaults: { timezone: UTC }\nsources:\n  - name: feed\n    format: canonical\n    match: { host: 127.0.0.1 }\n');
  return { dir, config, rejects: join(dir, 'rejects.ndjson'), spool: join(dir, 'spool') };
}

function collect(s: ReturnType<typeof setup>, env: Record<string, string> = {}): CliProcess {
  return runCli(['collect', '--syslog', 'tcp://127.0.0.1:0', '--config', s.config, '--rejects', s.rejects, '--spool', s.spool, '--stats-every', '0'], {
    REDIS_URL: redis.url,
    WHOHAD_DATA_DIR: join(s.dir, 'data'),
    ...env,
  });
}

const listening = (p: CliProcess) => until('collect to listen', () => Number(/listening: syslog tcp:\/\/127\.0\.0\.1:(\d+)/.exec(p.out)?.[1]) || undefined, 3000);
const linesOf = (path: string) => {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};
const spooled = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('spool-')).flatMap((n) => linesOf(join(dir, n)));
const redisLines = (text: string, state: string) => text.split('\n').filter((l) => l.startsWith('{') && JSON.parse(l).redis === state);
const noStackTraces = (text: string) => {
  expect(text).not.toContain('[ioredis]');
  expect(text).not.toMatch(/^\s+at /m);
};

describe('collect and signals', () => {
  it('reopens the rejects file on SIGHUP and keeps running; Redis down and up are one JSON line each', async () => {
    const s = setup();
    const p = collect(s);
    const tcp = await tcpSender(await listening(p));
    await tcp.write(`${lease(1)}\nnot an event\n`);
    await until('the first reject written', () => linesOf(s.rejects).length === 1, 3000);
    renameSync(s.rejects, `${s.rejects}.1`);
    p.child.kill('SIGHUP');
    await until('the rejects file reopened', () => p.err.includes(`rejects file reopened: ${s.rejects}`), 3000);
    await tcp.write(`${lease(2)}\nstill not an event\n`);
    await until('the second reject in the new file', () => linesOf(s.rejects).length === 1, 3000);
    expect(JSON.parse(linesOf(`${s.rejects}.1`)[0]).text).toBe('not an event');
    expect(JSON.parse(linesOf(s.rejects)[0]).text).toBe('still not an event');

    await redis.kill();
    await until('redis down reported', () => redisLines(p.err, 'down').length > 0, 3000);
    await redis.restart();
    await until('redis up reported', () => redisLines(p.err, 'up').length > 0, 3000);

    await tcp.write(`${lease(3)}\n`);
    await tcp.end();
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.err).toMatch(/collect: final: received 5, events 3, stored 3, rejected 2/);
    expect(redisLines(p.err, 'down')).toHaveLength(1);
    expect(redisLines(p.err, 'up')).toHaveLength(1);
    noStackTraces(p.err + p.out);
  });

  it('loses nothing received when it is killed while Redis is away: the next start replays the spool', async () => {
    const s = setup();
    const first = collect(s);
    const tcp = await tcpSender(await listening(first));
    await redis.kill();
    const N = 50;
    await tcp.write(`${Array.from({ length: N }, (_, i) => lease(100 + i)).join('\n')}\n`);
    await until('every message spooled', () => spooled(s.spool).length === N, 3000);
    await until('redis down reported', () => redisLines(first.err, 'down').length > 0, 3000);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    tcp.socket.destroy();

    await redis.restart();
    const second = collect(s);
    await until('the spool replayed', () => second.err.includes(`spool: replayed ${N} records`), 3000);
    await listening(second);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.err).toMatch(new RegExp(`collect: final: received ${N}, events ${N}, stored ${N}, rejected 0`));
    expect(second.err).toMatch(/spool: 0 records not yet confirmed by Redis/);
    expect(spooled(s.spool)).toEqual([]);
    noStackTraces(first.err + second.err);
  });

  it('refuses a REDIS_URL that is not a Redis address at start, in one line', async () => {
    const s = setup();
    const p = collect(s, { REDIS_URL: 'http://x' });
    expect(await p.exited).toBe(2);
    expect(p.err.trim().split('\n')).toEqual([expect.stringMatching(/^whohad: REDIS_URL="http:\/\/x": http:\/\/ is not a Redis scheme; expected redis:\/\//)]);
  });
});
