import { LEASE_MS, type BulkJobStore } from './jobs.js';

/**
 * The running-job places this instance holds, renewed while their jobs run. A job whose
 * instance stops (or cannot write to Redis any more) loses its place after LEASE_MS, and
 * readers then see it failed instead of running for ever.
 */
export class Leases {
  private readonly held = new Map<string, string>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly store: BulkJobStore,
    /** Running jobs a token may have at once (WHOHAD_BULK_MAX_RUNNING). */
    private readonly limit: number,
  ) {
    this.timer = setInterval(() => void this.renew(), LEASE_MS / 4);
    this.timer.unref();
  }

  /** Takes a place for the job, or throws JobLimitError when the token has none left. */
  async take(tokenId: string, job: string): Promise<void> {
    await this.store.reserve(tokenId, job, this.limit);
    this.held.set(job, tokenId);
  }

  /** Gives the place back; a failure here only means the lease lapses by itself. */
  async give(job: string): Promise<void> {
    const tokenId = this.held.get(job);
    if (tokenId === undefined) return;
    this.held.delete(job);
    await this.store.release(tokenId, job).catch(() => undefined);
  }

  private async renew(): Promise<void> {
    const byToken = new Map<string, string[]>();
    for (const [job, tokenId] of this.held) byToken.set(tokenId, [...(byToken.get(tokenId) ?? []), job]);
    for (const [tokenId, jobs] of byToken) await this.store.renew(tokenId, jobs).catch(() => undefined);
  }

  close(): void {
    clearInterval(this.timer);
  }
}
