import { rowResult, type ResultRow, type RowStatus } from './output.js';

/** One subscriber the file named: the corroboration that several hits give. */
export interface Corroboration {
  subscriberId: string;
  /** Rows that named this subscriber as the unique answer. */
  uniqueRows: number;
  /** Rows that named it as one candidate among several (or beside an unknown holder). */
  candidateRows: number;
  /** Earliest and latest instant (UTC) of those rows. */
  first: string;
  last: string;
}

export interface SummaryCounts {
  rows: number;
  byStatus: Record<RowStatus, number>;
  /** Rows per reason (attribution reasons, and the error codes of rows that could not be read). */
  byReason: Record<string, number>;
  /** Distinct subscribers named. */
  subscribers: number;
  /** False when the upload stopped before its end (the last row says why). */
  complete: boolean;
}

/**
 * Counts rows per status and reason, and per subscriber how often it was named, in a compact
 * layout (one map entry and four numbers a subscriber): memory grows with the subscribers a
 * file names, never with its rows.
 */
export class SummaryAccumulator {
  private n = 0;

  /** Rows added so far. */
  get rows(): number {
    return this.n;
  }
  private readonly byStatus: Record<RowStatus, number> = { unique: 0, ambiguous: 0, not_found: 0, outside_retention: 0, error: 0 };
  private readonly byReason = new Map<string, number>();
  private readonly index = new Map<string, number>();
  private readonly ids: string[] = [];
  private readonly unique: number[] = [];
  private readonly candidate: number[] = [];
  private readonly first: number[] = [];
  private readonly last: number[] = [];
  complete = true;

  add(r: ResultRow): void {
    this.n++;
    const a = rowResult(r);
    if (!a) {
      this.byStatus.error++;
      this.bump(r.error!.code);
      return;
    }
    this.byStatus[a.status]++;
    for (const reason of a.reasons) this.bump(reason);
    if (a.candidates.length === 0) return;
    let lo = Infinity;
    let hi = -Infinity;
    for (const t of a.instants) {
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
    const isUnique = a.status === 'unique';
    for (const subscriberId of a.candidates) {
      let k = this.index.get(subscriberId);
      if (k === undefined) {
        k = this.ids.length;
        this.index.set(subscriberId, k);
        this.ids.push(subscriberId);
        this.unique.push(0);
        this.candidate.push(0);
        this.first.push(lo);
        this.last.push(hi);
      }
      if (isUnique) this.unique[k]++;
      else this.candidate[k]++;
      if (lo < this.first[k]) this.first[k] = lo;
      if (hi > this.last[k]) this.last[k] = hi;
    }
  }

  private bump(key: string) {
    this.byReason.set(key, (this.byReason.get(key) ?? 0) + 1);
  }

  counts(): SummaryCounts {
    return {
      rows: this.n,
      byStatus: { ...this.byStatus },
      byReason: Object.fromEntries([...this.byReason].sort(([a], [b]) => (a < b ? -1 : 1))),
      subscribers: this.ids.length,
      complete: this.complete,
    };
  }

  /** Strongest first: most unique rows, then most candidate rows, then earliest, then by id. */
  private readonly stronger = (a: number, b: number) =>
    this.unique[b] - this.unique[a] || this.candidate[b] - this.candidate[a] || this.first[a] - this.first[b] || (this.ids[a] < this.ids[b] ? -1 : 1);

  private entry(k: number): Corroboration {
    return {
      subscriberId: this.ids[k], uniqueRows: this.unique[k], candidateRows: this.candidate[k],
      first: new Date(this.first[k]).toISOString(), last: new Date(this.last[k]).toISOString(),
    };
  }

  /** The corroboration table, strongest first. */
  *table(): Generator<Corroboration> {
    const order = Uint32Array.from({ length: this.ids.length }, (_, i) => i);
    order.sort(this.stronger);
    for (const k of order) yield this.entry(k);
  }

  /** The first `n` rows of the table, without sorting all of it. */
  top(n: number): Corroboration[] {
    const best: number[] = [];
    for (let k = 0; k < this.ids.length; k++) {
      if (best.length === n && this.stronger(k, best[n - 1]) >= 0) continue;
      let i = best.length === n ? n - 1 : best.length;
      best[i] = k;
      while (i > 0 && this.stronger(best[i], best[i - 1]) < 0) {
        [best[i], best[i - 1]] = [best[i - 1], best[i]];
        i--;
      }
    }
    return best.map((k) => this.entry(k));
  }
}
