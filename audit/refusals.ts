import { canonicalIp, isIpv4, prefixNetworks } from '../core/ip.js';
import type { AccessLog } from './log.js';

/**
 * Where refused requests come from, for counting them: an IPv4 address, or the /64 an IPv6
 * address is in (one subscriber line usually holds a whole /64, so rotating through it is one
 * source). Anything unreadable is counted under its own text.
 */
export function refusalSource(address: string): string {
  const ip = canonicalIp(address);
  if (ip === null) return address;
  return isIpv4(ip) ? ip : prefixNetworks(ip, [64])[0];
}

export interface Refusal {
  source: string;
  address: string;
  route: string;
  reason: string;
}

interface Window {
  source: string;
  start: number;
  last: number;
  count: number;
  routes: Record<string, number>;
  reasons: Record<string, number>;
  addresses: Set<string>;
}

/** Distinct addresses kept per record: enough to see a rotation, not a list to fill the log. */
const MAX_ADDRESSES = 16;

/**
 * Refused requests of callers that proved nothing (no, malformed, unknown or revoked token),
 * gathered per source and minute into one access-log record with a count, so a flood costs
 * one record a minute instead of one each. A window is written once it is a minute old (checked
 * on the next refusal from its source and by a timer) and when the service stops.
 */
export class RefusalLog {
  private windows = new Map<string, Window>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly log: AccessLog,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  note(r: Refusal): void {
    const now = this.now();
    let w = this.windows.get(r.source);
    if (w && now - w.start >= this.windowMs) {
      this.windows.delete(r.source);
      void this.write([w]);
      w = undefined;
    }
    if (!w) {
      w = { source: r.source, start: now, last: now, count: 0, routes: {}, reasons: {}, addresses: new Set() };
      this.windows.set(r.source, w);
    }
    w.count++;
    w.last = now;
    w.routes[r.route] = (w.routes[r.route] ?? 0) + 1;
    w.reasons[r.reason] = (w.reasons[r.reason] ?? 0) + 1;
    if (w.addresses.size < MAX_ADDRESSES) w.addresses.add(r.address);
  }

  /** Writes the windows a minute old, or all of them. */
  async flush(all = true): Promise<void> {
    const now = this.now();
    const due = [...this.windows.values()].filter((w) => all || now - w.start >= this.windowMs);
    for (const w of due) this.windows.delete(w.source);
    await this.write(due);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(false), Math.max(1000, this.windowMs / 4)).unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush(true);
  }

  private async write(windows: Window[]): Promise<void> {
    await Promise.all(
      windows.map(async (w) => {
        const [route] = Object.keys(w.routes);
        const [reason] = Object.keys(w.reasons);
        try {
          await this.log.append({
            kind: 'denied', time: new Date(w.last).toISOString(), user: null, tokenId: null, client: w.source, route, reason, count: w.count, disclosed: [],
            details: { from: new Date(w.start).toISOString(), to: new Date(w.last).toISOString(), routes: w.routes, reasons: w.reasons, addresses: [...w.addresses] },
          });
        } catch {
          // the log is unreachable: keep the count for the next flush rather than lose it
          this.merge(w);
        }
      }),
    );
  }

  private merge(w: Window): void {
    const cur = this.windows.get(w.source);
    if (!cur) {
      this.windows.set(w.source, w);
      return;
    }
    cur.start = Math.min(cur.start, w.start);
    cur.count += w.count;
    for (const [k, n] of Object.entries(w.routes)) cur.routes[k] = (cur.routes[k] ?? 0) + n;
    for (const [k, n] of Object.entries(w.reasons)) cur.reasons[k] = (cur.reasons[k] ?? 0) + n;
    for (const a of w.addresses) if (cur.addresses.size < MAX_ADDRESSES) cur.addresses.add(a);
  }
}
