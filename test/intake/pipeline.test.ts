import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TextFormat } from '../../parse/format.js';
import { LineFeeder, LineSplitter, linesOf, MAX_LINE, parseStream, type Line, type Reject } from '../../intake/pipeline.js';
import { auto } from '../../parse/registry.js';
import type { CanonicalEvent, NatEvent } from '../../events/schema.js';
import { NOW } from './helpers.js';
import { SAMPLES } from './samples.js';

const nat = (port: number): NatEvent => ({
  kind: 'nat', event: 'alloc', at: NOW, natInstance: 'default', publicIp: '198.51.100.1', portStart: port, portEnd: port,
  privateIp: '100.64.0.1', privateVrf: 'default', protocol: null, allocatedAt: null, source: 'test',
});

/** "e N" is an event, "ee N" two, "r" a reject, "x" a parser crash, "b" rejects the line before; anything else is skipped. */
const testFormat: TextFormat = {
  name: 'test', kind: 'nat', summary: 'test lines', sniff: () => false,
  create: () => ({
    line(text, n, sink) {
      if (text.startsWith('e ')) sink.event(nat(Number(text.slice(2))), n);
      else if (text.startsWith('ee ')) {
        sink.event(nat(Number(text.slice(3))), n);
        sink.event(nat(Number(text.slice(3)) + 1), n);
      } else if (text === 'r') sink.reject(n, 'not a record');
      else if (text === 'x') throw new Error('boom');
      else if (text === 'b') sink.reject(n - 1, 'the block before was cut');
      else sink.skip(n, 'other');
    },
    end(sink) {
      sink.reject(0, 'end');
    },
  }),
};

function tmp(name: string, content: string | Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'whohad-pipeline-'));
  writeFileSync(join(dir, name), content);
  return join(dir, name);
}

async function collect(lines: AsyncIterable<Line[]>): Promise<Line[]> {
  const out: Line[] = [];
  for await (const chunk of lines) out.push(...chunk);
  return out;
}

async function run(lines: Iterable<Line | Line[]> | AsyncIterable<Line | Line[]>, batchSize = 2000, format = testFormat) {
  const batches: { events: CanonicalEvent[]; lines: number[] }[] = [];
  const rejects: Reject[] = [];
  const result = await parseStream({
    lines, format, options: {}, context: { now: NOW }, file: 'in.log', batchSize,
    onBatch: async (events, l) => void batches.push({ events, lines: l }),
    onReject: (r) => rejects.push(r),
  });
  return { batches, rejects, result };
}

describe('parseStream', () => {
  it('hands events on in batches of the batch size, with their line numbers', async () => {
    const { batches, result } = await run([['e 1', 'e 2', 's', 'ee 3'], ['e 5', 'e 6', 'e 7']], 3);
    expect(batches.map((b) => b.events.map((e) => (e as NatEvent).portStart))).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(batches.map((b) => b.lines)).toEqual([[1, 2, 4], [4, 5, 6], [7]]);
    expect(result).toEqual({ lines: 7, events: 7, rejected: 1, skipped: 1, format: 'test' });
  });

  it('reports rejects with file, line, reason and text, and carries on', async () => {
    const { batches, rejects, result } = await run(['e 1', 'r', 'x', 'q', 'b', 'e 2']);
    expect(rejects).toEqual([
      { file: 'in.log', line: 2, reason: 'not a record', text: 'r' },
      { file: 'in.log', line: 3, reason: 'parser failed on this line: boom', text: 'x' },
      { file: 'in.log', line: 4, reason: 'the block before was cut', text: 'q' },
      { file: 'in.log', line: 0, reason: 'end', text: '' },
    ]);
    expect(batches.flatMap((b) => b.lines)).toEqual([1, 6]);
    expect(result).toMatchObject({ lines: 6, events: 2, rejected: 4, skipped: 1 });
  });

  it('rejects an over-long line unread, naming its length', async () => {
    const long: Line = { tooLong: true, text: 'e 9'.padEnd(10, 'z'), length: 70_000, limit: MAX_LINE };
    const { batches, rejects } = await run([['e 1', long, 'e 2']]);
    expect(batches.flatMap((b) => b.lines)).toEqual([1, 3]);
    expect(rejects[0]).toEqual({ file: 'in.log', line: 2, text: long.text, reason: 'line is 70000 long, over the limit of 65536: rejected unread (only its start is kept in the reject)' });
  });

  it('waits for onBatch before reading on', async () => {
    let pulled = 0;
    async function* source() {
      for (let i = 1; i <= 6; i++) {
        pulled = i;
        yield `e ${i}`;
      }
    }
    const held: (() => void)[] = [];
    const seen: number[] = [];
    let batchCalled!: () => void;
    let called = new Promise<void>((r) => (batchCalled = r));
    const done = parseStream({
      lines: source(), format: testFormat, options: {}, context: { now: NOW }, file: 'f', batchSize: 2,
      onBatch: (events) => {
        seen.push(events.length);
        batchCalled();
        return new Promise<void>((r) => held.push(r));
      },
      onReject: () => {},
    });
    await called;
    expect(pulled).toBe(2);
    called = new Promise<void>((r) => (batchCalled = r));
    held.shift()!();
    await called;
    expect(pulled).toBe(4);
    called = new Promise<void>((r) => (batchCalled = r));
    held.shift()!();
    await called;
    held.shift()!();
    expect(await done).toMatchObject({ lines: 6, events: 6 });
    expect(seen).toEqual([2, 2, 2]);
  });

  it('reports progress and the format auto chose', async () => {
    const progress: number[] = [];
    const r = await parseStream({
      lines: [SAMPLES['kea-csv']], format: auto, options: {}, context: { now: NOW }, file: 'kea.csv', progressEvery: 1,
      onBatch: async () => {}, onReject: () => {}, onProgress: (p) => progress.push(p.lines),
    });
    expect(r).toEqual({ lines: 2, events: 1, rejected: 0, skipped: 1, format: 'kea-csv' });
    expect(progress).toEqual([2, 2]);
  });

  it('feeds pushed chunks too, flushing a partial batch on demand (for followers)', async () => {
    const got: number[][] = [];
    const f = new LineFeeder({ format: testFormat, options: {}, context: { now: NOW }, file: 'f', firstLine: 41, onBatch: async (_e, l) => void got.push(l), onReject: () => {} });
    await f.push(['e 1', 's']);
    expect(got).toEqual([]);
    await f.flush();
    expect(got).toEqual([[41]]);
    expect(f.nextLine).toBe(43);
  });
});

describe('linesOf', () => {
  it('strips a BOM and CRLF, keeps a last line without a line end, and caps long lines', async () => {
    const long = 'y'.repeat(MAX_LINE + 5);
    const file = tmp('a.log', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`one\r\n\r\ntwo\n${long}\r\nthree\rstill three\nlast`)]));
    const lines = await collect(linesOf(file));
    expect(lines).toEqual(['one', '', 'two', { tooLong: true, text: 'y'.repeat(MAX_LINE), length: MAX_LINE + 5, limit: MAX_LINE }, 'three\rstill three', 'last']);
  });

  it('splits the same way whatever the chunk boundaries (CR, multi-byte characters, long lines)', async () => {
    const text = '\ufeffa\r\nbé€\r\n' + 'z'.repeat(40) + '\r\n\r\nq\r';
    const file = tmp('b.log', text);
    const expected: Line[] = ['a', 'bé€', { tooLong: true, text: 'z'.repeat(16), length: 40, limit: 16 }, '', 'q\r'];
    for (const chunkBytes of [1, 2, 3, 5, 7, 64]) {
      expect(await collect(linesOf(file, { chunkBytes, maxLine: 16 })), `chunk ${chunkBytes}`).toEqual(expected);
    }
  });

  it('counts an over-long line split across chunks by its whole length', () => {
    const s = new LineSplitter(4);
    expect(s.push('abcdefgh')).toEqual([]);
    expect(s.push('ij\r')).toEqual([]);
    expect(s.push('\nok\n')).toEqual([{ tooLong: true, text: 'abcd', length: 10, limit: 4 }, 'ok']);
    expect(s.end()).toBeNull();
  });

  it('gives nothing for an empty file, and a BOM-only file is empty', async () => {
    expect(await collect(linesOf(tmp('e.log', '')))).toEqual([]);
    expect(await collect(linesOf(tmp('f.log', '\ufeff')))).toEqual([]);
  });
});

describe('reading the next batch while the last is stored (overlap)', () => {
  /** A store whose batches settle only when the test says so. */
  function heldStore() {
    const calls: Array<{ ports: number[]; settle: (err?: Error) => void }> = [];
    const onBatch = (events: CanonicalEvent[]) =>
      new Promise<void>((resolve, reject) => {
        calls.push({ ports: events.map((e) => (e as NatEvent).portStart!), settle: (err) => (err ? reject(err) : resolve()) });
      });
    return { calls, onBatch };
  }
  const feeder = (onBatch: (e: CanonicalEvent[]) => Promise<void>, overlap = true) =>
    new LineFeeder({ format: testFormat, options: {}, context: { now: NOW }, file: 'f', batchSize: 2, overlap, onBatch, onReject: () => {} });

  it('hands on the next batch while the one before is still being stored, never two ahead', async () => {
    const s = heldStore();
    const f = feeder(s.onBatch);
    // batch 1 is handed on and the reader goes on without waiting for it
    await f.push(['e 1', 'e 2', 'e 3']);
    expect(s.calls.map((c) => c.ports)).toEqual([[1, 2]]);
    // batch 2 is full: it waits for batch 1 before it is handed on
    let pushed = false;
    const second = f.push(['e 4', 'e 5']).then(() => (pushed = true));
    await Promise.resolve();
    expect(s.calls.length).toBe(1);
    s.calls[0].settle();
    await second;
    expect(pushed).toBe(true);
    expect(s.calls.map((c) => c.ports)).toEqual([[1, 2], [3, 4]]);
    // end hands on the rest only after batch 2, and resolves only once every batch has settled
    let ended = false;
    const end = f.end().then(() => (ended = true));
    while (s.calls.length < 3) {
      await Promise.resolve();
      if (s.calls.length === 2 && !ended) s.calls[1].settle();
    }
    expect(s.calls[2].ports).toEqual([5]);
    expect(ended).toBe(false);
    s.calls[2].settle();
    await end;
    expect(f.counts.events).toBe(5);
  });

  it('fails the next push with the error of a batch stored meanwhile, after handing on nothing more', async () => {
    const s = heldStore();
    const f = feeder(s.onBatch);
    await f.push(['e 1', 'e 2']);
    s.calls[0].settle(new Error('Redis did not take them'));
    await expect(f.push(['e 3', 'e 4'])).rejects.toThrow('Redis did not take them');
    expect(s.calls.length).toBe(1);
  });

  it('fails end() with the error of the last batch', async () => {
    const s = heldStore();
    const f = feeder(s.onBatch);
    await f.push(['e 1']);
    const end = f.end();
    while (s.calls.length < 1) await Promise.resolve();
    s.calls[0].settle(new Error('refused'));
    await expect(end).rejects.toThrow('refused');
  });

  it('without overlap awaits each batch before reading on', async () => {
    const s = heldStore();
    const f = feeder(s.onBatch, false);
    let pushed = false;
    const p = f.push(['e 1', 'e 2', 'e 3']).then(() => (pushed = true));
    while (s.calls.length < 1) await Promise.resolve();
    await Promise.resolve();
    expect(pushed).toBe(false);
    s.calls[0].settle();
    await p;
    expect(pushed).toBe(true);
  });
});
