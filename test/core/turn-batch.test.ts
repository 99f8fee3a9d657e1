import { describe, expect, it } from 'vitest';
import { TurnBatcher } from '../../core/turn-batch.js';

describe('TurnBatcher', () => {
  it('hands the requests of one turn to one call per key, at most max a call, and answers each in order', async () => {
    const calls: Array<[string, number[]]> = [];
    const batcher = new TurnBatcher<number, string>(async (key, requests) => {
      calls.push([key, requests]);
      return requests.map((r) => `${key}:${r}`);
    }, 3);
    const asked = [batcher.ask('a', 1), batcher.ask('b', 2), batcher.ask('a', 3), batcher.ask('a', 4), batcher.ask('a', 5)];
    expect(calls).toEqual([]);
    expect(await Promise.all(asked)).toEqual(['a:1', 'b:2', 'a:3', 'a:4', 'a:5']);
    expect(calls).toEqual([['a', [1, 3, 4]], ['a', [5]], ['b', [2]]]);

    // the next turn starts a new batch
    expect(await batcher.ask('a', 6)).toBe('a:6');
    expect(calls.at(-1)).toEqual(['a', [6]]);
  });

  it('fails every request of a call that fails, and only those', async () => {
    const batcher = new TurnBatcher<number, number>(async (key, requests) => {
      if (key === 'bad') throw new Error('store away');
      return requests;
    }, 10);
    const bad = [batcher.ask('bad', 1), batcher.ask('bad', 2)].map((p) => p.then(() => 'ok', (e: Error) => e.message));
    const good = batcher.ask('good', 3);
    expect(await Promise.all(bad)).toEqual(['store away', 'store away']);
    expect(await good).toBe(3);
  });

  it('with process.nextTick, sends what one burst of promise callbacks asked before the loop turns', async () => {
    const calls: number[][] = [];
    const batcher = new TurnBatcher<number, number>(async (_key, requests) => {
      calls.push(requests);
      return requests;
    }, 64, process.nextTick);
    let immediateSaw: number[][] | null = null;
    setImmediate(() => (immediateSaw = calls.map((c) => [...c])));
    // look-ups a step or two apart in promise callbacks, as replies from one socket read set off
    const asked = [1, 2, 3].map(async (n) => {
      for (let step = 0; step < n; step++) await Promise.resolve();
      return batcher.ask('', n);
    });
    expect(await Promise.all(asked)).toEqual([1, 2, 3]);
    expect(calls).toEqual([[1, 2, 3]]);
    await new Promise((r) => setImmediate(r));
    expect(immediateSaw).toEqual([[1, 2, 3]]);
  });
});
