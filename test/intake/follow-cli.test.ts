import { appendFileSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli-process.js';
import { testRedisUrl } from '../helpers/redis.js';
import { tempDir, until } from '../faults/helpers.js';

/**
 * `whohad ingest --follow` as a real process stopped with SIGTERM: a file rotated while it was
 * stopped is finished before the new one, and the summary counts what was followed.
 */

const at = new Date(Date.now() - 3_600_000).toISOString();
const leases = (from: number, n: number) =>
  Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return `${JSON.stringify({ kind: 'lease', event: 'start', at, ip: `100.65.${i >> 8}.${i & 255}`, subscriberId: `sub-${i}`, expiresAt: null })}\n`;
  }).join('');

/** The follower's recorded position (one state file per followed path). */
function position(stateDir: string): { inode: string; line: number } | undefined {
  const files = readdirSync(stateDir).filter((n) => n.endsWith('.json'));
  return files.length === 1 ? JSON.parse(readFileSync(join(stateDir, files[0]), 'utf8')) : undefined;
}

async function followUntil(file: string, stateDir: string, env: Record<string, string>, done: (p: { inode: string; line: number }) => boolean) {
  const run = runCli(['ingest', '--follow', '--format', 'canonical', '--state', stateDir, file], env);
  await until('the follower to record its position', () => {
    const p = position(stateDir);
    return p !== undefined && done(p);
  }, 3000);
  run.child.kill('SIGTERM');
  expect(await run.exited).toBe(0);
  return run;
}

describe('ingest --follow, stopped and started again', () => {
  it('finishes the file rotated while it was stopped before the new one, and counts every line', async () => {
    const dir = tempDir('whohad-follow-cli-');
    const file = join(dir, 'f.log');
    const stateDir = join(dir, 'state');
    const env = { REDIS_URL: await testRedisUrl(), WHOHAD_DATA_DIR: join(dir, 'data') };
    writeFileSync(file, leases(0, 5));
    const first = await followUntil(file, stateDir, env, (p) => p.line === 5);
    expect(first.out).toMatch(/^stored 5 events from 5 lines;/m);

    appendFileSync(file, leases(5, 20));
    renameSync(file, `${file}.3`);
    writeFileSync(file, leases(25, 2));
    const inode = String(statSync(file, { bigint: true }).ino);
    const second = await followUntil(file, stateDir, env, (p) => p.inode === inode && p.line === 2);
    expect(second.err).toContain('finishing f.log.3 (rotated while stopped) from line 6');
    expect(second.out).toMatch(/^stored 22 events from 22 lines; rejected 0/m);
  });
});
