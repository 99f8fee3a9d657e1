/**
 * Maps an async source through `fn` with up to `window` calls in flight and yields the results
 * in the source's order. Finished heads are yielded as soon as they are ready, so the first
 * results leave before the last inputs are read; a full window waits for its head, which is
 * the backpressure that keeps memory flat.
 */
export async function* mapOrdered<T, R>(source: AsyncIterable<T>, fn: (item: T) => Promise<R>, window: number): AsyncGenerator<R> {
  if (!(window >= 1)) throw new RangeError('window must be at least 1');
  interface Slot {
    settled: boolean;
    failed: boolean;
    value: R | undefined;
    error: unknown;
    promise: Promise<void>;
  }
  const queue: Slot[] = [];
  let head = 0;
  const start = (item: T) => {
    const slot: Slot = { settled: false, failed: false, value: undefined, error: undefined, promise: Promise.resolve() };
    slot.promise = fn(item).then(
      (v) => {
        slot.value = v;
        slot.settled = true;
      },
      (e) => {
        slot.error = e;
        slot.failed = true;
        slot.settled = true;
      },
    );
    queue.push(slot);
  };
  const take = (): R => {
    const slot = queue[head];
    queue[head++] = undefined as unknown as Slot;
    if (head > 4096 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
    if (slot.failed) throw slot.error;
    return slot.value as R;
  };
  for await (const item of source) {
    start(item);
    while (head < queue.length && queue[head].settled) yield take();
    if (queue.length - head >= window) {
      await queue[head].promise;
      yield take();
    }
  }
  while (head < queue.length) {
    await queue[head].promise;
    yield take();
  }
}
