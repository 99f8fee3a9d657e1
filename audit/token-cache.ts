import { EventEmitter } from 'node:events';
import { Redis, type Cluster } from 'ioredis';
import { reportErrors } from '../redis/client.js';
import type { Principal } from './tokens.js';

/** Where a revocation is announced: the message is the revoked token's SHA-256. */
export const TOKEN_REVOKED_CHANNEL = '{whohad}:token-revoked';

/** The subscriber's connection name, so an operator (or a test) can tell it in CLIENT LIST. */
export const TOKEN_SUBSCRIBER_NAME = 'whohad-token-revocations';

interface Entry {
  principal: Principal;
  at: number;
}

/**
 * Verified tokens, by the SHA-256 the token store keys them by (never the token itself), so a
 * request with a known token costs no round trip. It serves only while its subscription to
 * revocations is confirmed: a revocation removes the entry the moment its message arrives, and
 * while the subscription is down nothing is served from it (it is emptied, since messages sent
 * meanwhile are lost). An entry is also read afresh after `maxAgeMs`, so a revocation made
 * without a message (by hand in Redis) still takes effect within that time.
 *
 * Events: `live` (subscription confirmed), `down` (subscription lost, cache emptied),
 * `invalidated` (hash) after a revocation message was applied.
 */
export class TokenCache extends EventEmitter {
  private entries = new Map<string, Entry>();
  private sub: Redis | Cluster | null = null;
  private stopped = false;
  /** Moves on every revocation and every loss of the subscription: a read begun before it is not kept. */
  private gen = 0;
  #live = false;

  constructor(
    readonly maxAgeMs = 1000,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  get live(): boolean {
    return this.#live;
  }

  /** Opens the subscription on a connection of its own; does not wait for Redis. */
  start(redis: Redis | Cluster): void {
    if (this.sub || this.stopped) return;
    // ioredis's own resubscription on reconnect is off: its promise has no handler, so a stop
    // while it is in flight rejected it unhandled. `subscribe` below does it, on every `ready`.
    const sub =
      redis instanceof Redis
        ? redis.duplicate({ connectionName: TOKEN_SUBSCRIBER_NAME, lazyConnect: false, autoResubscribe: false })
        : (redis as Cluster).duplicate();
    this.sub = sub;
    reportErrors(sub, () => {});
    sub.on('message', (channel: string, hash: string) => {
      if (channel === TOKEN_REVOKED_CHANNEL) this.invalidate(hash);
    });
    sub.on('close', () => this.down());
    sub.on('end', () => this.down());
    sub.on('ready', () => void this.subscribe());
  }

  stop(): void {
    this.stopped = true;
    this.down();
    // nothing to flush on a subscription: dropping it cannot wait on a Redis that is away
    this.sub?.disconnect();
    this.sub = null;
  }

  /** The generation a read starts under; hand it back to `put`. */
  get generation(): number {
    return this.gen;
  }

  get(hash: string): Principal | undefined {
    if (!this.#live) return undefined;
    const e = this.entries.get(hash);
    if (!e) return undefined;
    if (this.now() - e.at < this.maxAgeMs) return e.principal;
    this.entries.delete(hash);
    return undefined;
  }

  /** Keeps a token read at `generation`, unless a revocation or an outage came in between. */
  put(hash: string, principal: Principal, generation: number): void {
    if (!this.#live || generation !== this.gen) return;
    if (this.entries.size >= this.maxEntries && !this.entries.has(hash)) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(hash, { principal, at: this.now() });
  }

  /** Drops a revoked token: on its message, and at once in the process that revoked it. */
  invalidate(hash: string): void {
    this.gen++;
    this.entries.delete(hash);
    this.emit('invalidated', hash);
  }

  private down(): void {
    this.gen++;
    this.entries.clear();
    if (!this.#live) return;
    this.#live = false;
    this.emit('down');
  }

  private async subscribe(): Promise<void> {
    const sub = this.sub;
    if (!sub || this.stopped) return;
    try {
      // confirmed by Redis: every revocation published from now on reaches this connection
      await sub.subscribe(TOKEN_REVOKED_CHANNEL);
    } catch {
      return; // the connection went again; its next `ready` tries anew
    }
    if (this.stopped || sub.status !== 'ready' || this.#live) return;
    this.gen++;
    this.#live = true;
    this.emit('live');
  }
}
