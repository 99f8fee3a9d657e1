interface Waiting<Req, Res> {
  request: Req;
  ok: (result: Res) => void;
  fail: (err: unknown) => void;
}

/**
 * Requests made during one turn of the event loop, grouped by key and handed to `send` together
 * when the turn is over, at most `max` to a call. `send` answers a group's requests in their
 * order, or fails them all. `schedule` says when a turn is over: setImmediate (after the I/O
 * the loop has ready, so more requests gather) or process.nextTick (once the promise callbacks
 * one burst of replies set off have run, before the loop waits for I/O: nothing is held back
 * while the store could be working).
 */
export class TurnBatcher<Req, Res> {
  private pending = new Map<string, Array<Waiting<Req, Res>>>();
  private scheduled = false;

  constructor(
    private readonly send: (key: string, requests: Req[]) => Promise<Res[]>,
    private readonly max: number,
    private readonly schedule: (flush: () => void) => void = setImmediate,
  ) {}

  ask(key: string, request: Req): Promise<Res> {
    return new Promise((ok, fail) => {
      let group = this.pending.get(key);
      if (!group) this.pending.set(key, (group = []));
      group.push({ request, ok, fail });
      if (!this.scheduled) {
        this.scheduled = true;
        this.schedule(this.flush);
      }
    });
  }

  private readonly flush = () => {
    this.scheduled = false;
    const groups = this.pending;
    this.pending = new Map();
    for (const [key, group] of groups) {
      for (let at = 0; at < group.length; at += this.max) {
        const part = group.length <= this.max ? group : group.slice(at, at + this.max);
        this.send(key, part.map((w) => w.request)).then(
          (results) => part.forEach((w, i) => w.ok(results[i])),
          (err: unknown) => part.forEach((w) => w.fail(err)),
        );
      }
    }
  };
}
