import { appendFileSync, copyFileSync, truncateSync, mkdtempSync, readFileSync, renameSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { followFile, type FollowBatchPosition, type Follower, type FollowOptions, type FollowReset } from '../../intake/follow.js';
import type { Line } from '../../intake/pipeline.js';

const running: Follower[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((f) => f.stop()));
});

/** Follows a file, recording what arrives; `until(n)` resolves once n lines in all have arrived. */
function follow(path: string, statePath: string, extra: Partial<FollowOptions> = {}) {
  const lines: string[] = [];
  const batches: FollowBatchPosition[] = [];
  const resets: FollowReset[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const show = (l: Line) => (typeof l === 'string' ? l : `<too long: ${l.length}, ${l.text}>`);
  const follower = followFile(path, {
    statePath,
    pollMs: 50,
    // the old file of a rotation is read on until quiet this long (the default is 2 s)
    quietMs: 150,
    onLines: (ls, pos) => {
      lines.push(...ls.map(show));
      batches.push(pos);
      for (const w of waiters.filter((x) => lines.length >= x.n)) w.resolve();
    },
    onReset: (why) => void resets.push(why),
    ...extra,
  });
  running.push(follower);
  const until = (n: number) => new Promise<void>((resolve) => (lines.length >= n ? resolve() : waiters.push({ n, resolve })));
  return { follower, lines, batches, resets, until };
}

function dir() {
  const d = mkdtempSync(join(tmpdir(), 'whohad-follow-'));
  return { file: join(d, 'leases.log'), state: join(d, 'leases.state') };
}

describe('followFile', () => {
  it('delivers complete lines as they are appended, and records its position', async () => {
    const { file, state } = dir();
    writeFileSync(file, 'a\r\nb\npar');
    const f = follow(file, state);
    await f.until(2);
    expect(f.lines).toEqual(['a', 'b']);
    appendFileSync(file, 'tial\nc\n');
    await f.until(4);
    expect(f.lines).toEqual(['a', 'b', 'partial', 'c']);
    expect(f.batches.at(-1)).toMatchObject({ offset: 15, line: 4 });
    expect(f.batches.map((b) => b.firstLine)).toEqual([1, 3]);
    await f.follower.stop();
    expect(JSON.parse(readFileSync(state, 'utf8'))).toMatchObject({ version: 1, offset: 15, line: 4, inode: f.follower.position!.inode });
  });

  it('follows a rotation by rename: drains the old file, then reads the new one from its start', async () => {
    const { file, state } = dir();
    writeFileSync(file, 'a1\na2\n');
    const f = follow(file, state);
    await f.until(2);
    appendFileSync(file, 'a3\na4');
    renameSync(file, `${file}.1`);
    writeFileSync(file, 'b1\nb2\n');
    await f.until(6);
    expect(f.lines).toEqual(['a1', 'a2', 'a3', 'a4', 'b1', 'b2']);
    expect(f.resets).toEqual(['replaced']);
    expect(f.batches.at(-1)).toMatchObject({ firstLine: 1, line: 2, offset: 6 });
  });

  it('follows a lease file replaced by a new one (write then rename over it)', async () => {
    const { file, state } = dir();
    writeFileSync(file, 'lease 1\nlease 2\n');
    const f = follow(file, state);
    await f.until(2);
    writeFileSync(`${file}.new`, 'lease 1\nlease 2\nlease 3\n');
    renameSync(`${file}.new`, file);
    await f.until(5);
    expect(f.lines).toEqual(['lease 1', 'lease 2', 'lease 1', 'lease 2', 'lease 3']);
    expect(f.resets).toEqual(['replaced']);
  });

  it('starts over when the file is truncated', async () => {
    const { file, state } = dir();
    writeFileSync(file, 'l1\nl2\nl3\n');
    const f = follow(file, state);
    await f.until(3);
    writeFileSync(file, 't1\n');
    await f.until(4);
    expect(f.lines).toEqual(['l1', 'l2', 'l3', 't1']);
    expect(f.resets).toEqual(['truncated']);
    expect(f.batches.at(-1)).toMatchObject({ firstLine: 1, offset: 3 });
  });

  it('starts over when the file is rewritten in place with other content', async () => {
    const { file, state } = dir();
    writeFileSync(file, 'h1\nh2\n');
    const f = follow(file, state);
    await f.until(2);
    writeFileSync(file, 'X1\nX2\nX3\n');
    await f.until(5);
    expect(f.lines).toEqual(['h1', 'h2', 'X1', 'X2', 'X3']);
    expect(f.resets.length).toBe(1);
    expect(['truncated', 'rewritten']).toContain(f.resets[0]);
  });

  it('resumes from the recorded position after a restart, without duplicates', async () => {
    const { file, state } = dir();
    writeFileSync(file, 'r1\nr2\nr3\n');
    const first = follow(file, state);
    await first.until(3);
    await first.follower.stop();
    appendFileSync(file, 'r4\nr5\n');
    const second = follow(file, state);
    await second.until(2);
    await second.follower.stop();
    expect(second.lines).toEqual(['r4', 'r5']);
    expect(second.batches).toEqual([expect.objectContaining({ firstLine: 4, line: 5, offset: 15 })]);
    expect(second.resets).toEqual([]);
  });

  it('reads a file replaced while it was stopped from its start', async () => {
    const { file, state } = dir();
    writeFileSync(file, 'o1\no2\n');
    const first = follow(file, state);
    await first.until(2);
    await first.follower.stop();
    writeFileSync(`${file}.new`, 'n1\n');
    renameSync(`${file}.new`, file);
    const second = follow(file, state);
    await second.until(1);
    expect(second.lines).toEqual(['n1']);
    expect(second.resets).toEqual(['replaced']);
  });

  it('waits for a file that does not exist yet, and skips a BOM', async () => {
    const { file, state } = dir();
    const f = follow(file, state);
    writeFileSync(file, '\ufefffirst\n');
    await f.until(1);
    expect(f.lines).toEqual(['first']);
  });

  it('reports an over-long line by its length without holding it, then reads on', async () => {
    const { file, state } = dir();
    writeFileSync(file, `ok\n${'x'.repeat(100)}`);
    const f = follow(file, state, { maxLine: 16, chunkBytes: 32 });
    await f.until(1);
    appendFileSync(file, 'xx\r\nafter\n');
    await f.until(3);
    expect(f.lines).toEqual(['ok', `<too long: 103, ${'x'.repeat(16)}>`, 'after']);
    expect(f.batches.at(-1)).toMatchObject({ line: 3, offset: 3 + 104 + 6 });
  });

  it('delivers lines again when onLines failed, and records nothing until it succeeds', async () => {
    const { file, state } = dir();
    writeFileSync(file, 'e1\ne2\n');
    const errors: string[] = [];
    let fail = true;
    const f = follow(file, state, {
      onError: (e) => errors.push(e.message),
      onLines: (ls, pos) => {
        if (fail) {
          fail = false;
          throw new Error('writer down');
        }
        f2.lines.push(...(ls as string[]));
        f2.batches.push(pos);
        if (f2.lines.length >= 2) f2.done();
      },
    });
    const f2 = { lines: [] as string[], batches: [] as FollowBatchPosition[], done: () => {} };
    await new Promise<void>((r) => (f2.done = r));
    expect(errors).toEqual(['writer down']);
    expect(f2.lines).toEqual(['e1', 'e2']);
    await f.follower.stop();
    expect(f.follower.position).toMatchObject({ offset: 6, line: 2 });
  });

  it('tells of a reset again when onReset failed, before any line of the new file', async () => {
    const { file, state } = dir();
    writeFileSync(file, 'old\n');
    const events: string[] = [];
    let failures = 1;
    const f = follow(file, state, {
      onError: () => events.push('error'),
      onReset: (why) => {
        events.push(`reset ${why}`);
        if (failures-- > 0) throw new Error('parser not ready');
      },
    });
    await f.until(1);
    writeFileSync(`${file}.new`, 'new\n');
    renameSync(`${file}.new`, file);
    await f.until(2);
    expect(f.lines).toEqual(['old', 'new']);
    expect(events).toEqual(['reset replaced', 'error', 'reset replaced']);
  });

  it('stops on a failure when no onError is given, rejecting done', async () => {
    const { file, state } = dir();
    writeFileSync(state, 'not json');
    writeFileSync(file, 'z\n');
    const f = follow(file, state);
    await expect(f.follower.done).rejects.toThrow(/is not JSON.*delete it/);
  });

  describe('a rotation while stopped', () => {
    const lines = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}\n`).join('');

    /** Follows 5 lines, stops, then 20 more are written and the file rotated by `rotate`; a new file gets 2. */
    async function rotatedWhileStopped(rotate: (file: string) => void) {
      const { file, state } = dir();
      writeFileSync(file, lines('a', 5));
      const first = follow(file, state);
      await first.until(5);
      await first.follower.stop();
      appendFileSync(file, lines('b', 20));
      rotate(file);
      writeFileSync(file, lines('n', 2));
      const log: string[] = [];
      const second = follow(file, state, { log: (l) => log.push(l) });
      await second.until(22);
      await second.follower.stop();
      return { second, log };
    }
    const want = [...lines('b', 20).trim().split('\n'), 'n1', 'n2'];

    it.each([['f.log.3', '.3'], ['f.log-20261123', '-20261123']])('finishes the old file, now %s, before the new one', async (_, suffix) => {
      const { second, log } = await rotatedWhileStopped((file) => {
        // an older rotation beside it, which must not be taken for it
        writeFileSync(`${file}.9`, lines('old', 3));
        utimesSync(`${file}.9`, new Date(), new Date(Date.now() + 60_000));
        renameSync(file, `${file}${suffix}`);
      });
      expect(second.lines).toEqual(want);
      expect(second.batches[0]).toMatchObject({ firstLine: 6 });
      expect(second.batches.at(-1)).toMatchObject({ firstLine: 1, line: 2 });
      expect(second.resets).toEqual(['replaced']);
      expect(log).toEqual([expect.stringContaining(`finishing leases.log${suffix} (rotated while stopped) from line 6`)]);
    });

    it('finishes it from a gzip-compressed rotation, found by its first bytes', async () => {
      const { second, log } = await rotatedWhileStopped((file) => {
        writeFileSync(`${file}.1.gz`, gzipSync(readFileSync(file)));
        writeFileSync(`${file}.2.gz`, gzipSync(Buffer.from(lines('x', 40))));
        unlinkSync(file);
      });
      expect(second.lines).toEqual(want);
      expect(log).toEqual([expect.stringContaining('finishing leases.log.1.gz')]);
    });

    it('finishes a copy made by copytruncate, found by its first bytes, then reads the truncated file', async () => {
      const { second, log } = await rotatedWhileStopped((file) => {
        copyFileSync(file, `${file}.1`);
        truncateSync(file, 0);
      });
      expect(second.lines).toEqual(want);
      expect(second.resets).toEqual(['truncated']);
      expect(log).toEqual([expect.stringContaining('finishing leases.log.1')]);
    });

    it('says so when the old file is nowhere to be read, then reads the new one', async () => {
      const { file, state } = dir();
      writeFileSync(file, lines('a', 5));
      const first = follow(file, state);
      await first.until(5);
      await first.follower.stop();
      renameSync(file, join(dirname(file), 'moved-away'));
      writeFileSync(file, lines('n', 2));
      const log: string[] = [];
      const second = follow(file, state, { log: (l) => log.push(l) });
      await second.until(2);
      expect(second.lines).toEqual(['n1', 'n2']);
      expect(second.resets).toEqual(['replaced']);
      expect(log).toEqual([expect.stringMatching(/read up to line 5 before the stop is no longer there .* its lines after 5 are not read/)]);
    });
  });

  it('reads on in the old file of a rotation while its writer still writes there, before the new file', async () => {
    const { file, state } = dir();
    writeFileSync(file, 'a1\na2\n');
    const f = follow(file, state, { quietMs: 1000 });
    await f.until(2);
    renameSync(file, `${file}.1`);
    writeFileSync(file, 'b1\n');
    // The writer has not reopened yet and goes on writing the old file, a line every 100 ms (its
    // pace is the scenario, not a wait for the follower): each comes after the old file was read to its end.
    for (let i = 3; i <= 6; i++) {
      await new Promise((paced) => setTimeout(paced, 100));
      appendFileSync(`${file}.1`, `a${i}\n`);
    }
    await f.until(7);
    expect(f.lines).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'b1']);
    expect(f.resets).toEqual(['replaced']);
  });
});
