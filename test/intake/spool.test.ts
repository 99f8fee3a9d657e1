import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Spool, type SpoolRecord } from '../../intake/spool.js';
import { tempDir } from '../faults/helpers.js';

const msg = (text: string) => ({ m: { text, from: '10.0.0.7', transport: 'udp' as const } });

async function replayed(s: Spool): Promise<SpoolRecord[]> {
  const out: SpoolRecord[] = [];
  for await (const r of s.replay()) out.push(r);
  return out;
}

describe('the collector spool', () => {
  it('gives back at the next open what was not committed, numbered on from the last record', async () => {
    const dir = tempDir('whohad-spool-');
    const a = Spool.open(dir);
    expect(await replayed(a)).toEqual([]);
    expect([a.append(msg('one')), a.append(msg('two')), a.append(msg('three'))]).toEqual([1, 2, 3]);
    a.commit(1);
    // a crash: no close
    const b = Spool.open(dir);
    expect((await replayed(b)).map((r) => 'm' in r && r.m.text)).toEqual(['two', 'three']);
    expect(b.append(msg('four'))).toBe(4);
    expect(b.state()).toMatchObject({ records: 3, unspooled: 0 });
    b.commit(4);
    b.close();
    expect(readdirSync(dir)).toEqual(['commit.json']);
    const c = Spool.open(dir);
    expect(await replayed(c)).toEqual([]);
    expect(c.append(msg('five'))).toBe(5);
    c.close();
  });

  it('ignores a record cut short by a crash mid-write, and never appends after it', async () => {
    const dir = tempDir('whohad-spool-');
    const a = Spool.open(dir);
    await replayed(a);
    a.append(msg('whole'));
    const [segment] = readdirSync(dir).filter((n) => n.startsWith('spool-'));
    appendFileSync(join(dir, segment), '{"n":2,"m":{"text":"cut');
    const b = Spool.open(dir);
    expect((await replayed(b)).map((r) => r.n)).toEqual([1]);
    b.append(msg('after'));
    const c = Spool.open(dir);
    expect((await replayed(c)).map((r) => 'm' in r && r.m.text)).toEqual(['whole', 'after']);
  });

  it('keeps at most maxBytes on disk, counts what it could not keep, and deletes segments once committed', async () => {
    const dir = tempDir('whohad-spool-');
    const s = Spool.open(dir, { maxBytes: 4096, segmentBytes: 1024 });
    await replayed(s);
    const text = 'x'.repeat(200);
    let kept = 0;
    for (let i = 0; i < 40; i++) if (s.append(msg(text)) !== null) kept++;
    expect(kept).toBeLessThan(40);
    expect(s.state()).toMatchObject({ records: kept, unspooled: 40 - kept });
    expect(s.bytes).toBeLessThanOrEqual(4096);
    const segments = () => readdirSync(dir).filter((n) => n.startsWith('spool-')).length;
    expect(segments()).toBeGreaterThan(2);
    s.commit(kept);
    // all but the segment being written to
    expect(segments()).toBe(1);
    expect(s.append(msg(text))).toBe(kept + 1);
    s.close();
  });

  it('refuses a commit file it cannot read, rather than skip or replay blindly', () => {
    const dir = tempDir('whohad-spool-');
    writeFileSync(join(dir, 'commit.json'), 'garbage');
    expect(() => Spool.open(dir)).toThrow(/commit\.json: .*move it away to replay the whole spool/);
    expect(readFileSync(join(dir, 'commit.json'), 'utf8')).toBe('garbage');
  });
});
