/**
 * Whether Redis is answering, as a change of state: an outage is one `down` when the first
 * connection error arrives (not one per reconnect attempt), and one `up` when the client is
 * ready again. An operator's log and alert see two lines per outage, whatever its length.
 */
export type RedisStateChange = { state: 'down'; error: string } | { state: 'up'; downForMs: number };

/** The default report: one JSON line, in the shape of the service's own log lines. */
export function stateLine(s: RedisStateChange, now = new Date()): string {
  const line =
    s.state === 'down'
      ? { time: now.toISOString(), level: 'error', redis: 'down', error: s.error, msg: 'redis down; retrying until it answers' }
      : { time: now.toISOString(), level: 'info', redis: 'up', downForMs: s.downForMs, msg: 'redis up again' };
  return `${JSON.stringify(line)}\n`;
}

export const stateToStderr = (s: RedisStateChange): void => void process.stderr.write(stateLine(s));

interface Emitter {
  on(event: 'ready', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/**
 * Reports each change of state once. `closing()` says the client is being closed on purpose:
 * the errors of commands still in flight then are no outage. Listening to `error` is also what
 * keeps ioredis from printing its own "[ioredis] Unhandled error event" with a stack.
 */
export function watchState(client: Emitter, report: (s: RedisStateChange) => void, closing: () => boolean): void {
  let downSince: number | null = null;
  client.on('ready', () => {
    if (downSince === null) return;
    const downForMs = Date.now() - downSince;
    downSince = null;
    report({ state: 'up', downForMs });
  });
  client.on('error', (err: Error) => {
    if (downSince !== null || closing()) return;
    downSince = Date.now();
    report({ state: 'down', error: err.message });
  });
}
